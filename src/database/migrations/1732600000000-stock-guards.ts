import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What keeps units from landing where no one can see them, and the indexes the
 * item paths need to respect holds and orders without scanning history:
 * - a deleted item's stock never grows (a trigger: the rule spans two tables);
 * - order lines by stock row, for the units still out on confirmed or processing
 *   orders (deleting an item, the room an adjustment must leave for restocks);
 * - statistics on when active holds lapse, for the lapsed holds item reads leave out.
 */
export class StockGuards1732600000000 implements MigrationInterface {
  name = 'StockGuards1732600000000';

  async up(q: QueryRunner): Promise<void> {
    // The delete locks the item's stock rows before it marks the item deleted, so
    // a change of on_hand either ran before it or waits for it and then sees it here.
    await q.query(`
      CREATE FUNCTION stock_item_live() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        -- Waits for a delete in progress (it holds the item FOR UPDATE); the check
        -- below, a statement of its own, then sees its outcome. An insert has no
        -- stock row to wait on, and its foreign key is checked only after this trigger.
        PERFORM 1 FROM item WHERE id = NEW.item_id FOR KEY SHARE;
        IF EXISTS (SELECT 1 FROM item WHERE id = NEW.item_id AND deleted_at IS NOT NULL) THEN
          RAISE EXCEPTION 'units cannot be added to the stock of deleted item %', NEW.item_id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'stock_item_live', TABLE = 'stock';
        END IF;
        RETURN NEW;
      END $$`);
    // WHEN keeps the function off every statement that adds no units (holds, deductions).
    await q.query(`
      CREATE TRIGGER stock_item_live_on_update BEFORE UPDATE OF on_hand ON stock
      FOR EACH ROW WHEN (NEW.on_hand > OLD.on_hand) EXECUTE FUNCTION stock_item_live()`);
    await q.query(`
      CREATE TRIGGER stock_item_live_on_insert BEFORE INSERT ON stock
      FOR EACH ROW WHEN (NEW.on_hand > 0) EXECUTE FUNCTION stock_item_live()`);

    await q.query(`CREATE INDEX order_line_stock_idx ON order_line (item_id, warehouse_id)`);
    // Item reads find lapsed holds by reservation_active_expiry_idx. Without these
    // statistics the planner multiplies "active" by "expired" as if unrelated, and
    // most reservations are both inactive and long past: it expects thousands of
    // lapsed holds per stock row instead of a few, and plans (and JIT-compiles) a
    // page of items as if it were a report. Queries name the expression as is.
    await q.query(
      `CREATE STATISTICS reservation_lapse_stats ON (CASE WHEN status = 'active' THEN expires_at END) FROM reservation`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP STATISTICS reservation_lapse_stats`);
    await q.query(`DROP INDEX order_line_stock_idx`);
    await q.query(`DROP TRIGGER stock_item_live_on_insert ON stock`);
    await q.query(`DROP TRIGGER stock_item_live_on_update ON stock`);
    await q.query(`DROP FUNCTION stock_item_live()`);
  }
}
