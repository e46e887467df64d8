import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What updates of items and warehouses need:
 * - `warehouse.active`: allocation (lines that name no warehouse) passes an
 *   inactive warehouse over, and a line naming it is refused; its stock stays
 *   visible, adjustable and countable;
 * - `item.reorder_point`: item views say `low_stock` when available <= it (null: no reorder point).
 * Lookups by SKU and by warehouse code use the unique indexes there already
 * (item_sku_live_key, warehouse_code_key).
 */
export class Addressing1732710000000 implements MigrationInterface {
  name = 'Addressing1732710000000';

  async up(q: QueryRunner): Promise<void> {
    // A constant default: existing rows get it without a table rewrite.
    await q.query(`ALTER TABLE warehouse ADD COLUMN active boolean NOT NULL DEFAULT true`);
    await q.query(
      `COMMENT ON COLUMN warehouse.active IS 'false: allocation passes the warehouse over and lines naming it are refused; its stock stays visible'`,
    );
    await q.query(`
      ALTER TABLE item ADD COLUMN reorder_point integer
        CONSTRAINT item_reorder_point_nonnegative CHECK (reorder_point >= 0)`);
    await q.query(
      `COMMENT ON COLUMN item.reorder_point IS 'Item views show low_stock when available <= reorder_point; null: none'`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE item DROP COLUMN reorder_point`);
    await q.query(`ALTER TABLE warehouse DROP COLUMN active`);
  }
}
