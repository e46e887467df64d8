import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Reservations hold units of stock rows until they expire, are released, or are
 * committed by an order. stock.reserved is the sum of the active lines on that row.
 */
export class Reservations1732300000000 implements MigrationInterface {
  name = 'Reservations1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE reservation (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        status text NOT NULL DEFAULT 'active'
          CONSTRAINT reservation_status_valid CHECK (status IN ('active', 'released', 'expired', 'committed')),
        reference text CONSTRAINT reservation_reference_length CHECK (char_length(reference) BETWEEN 1 AND 255),
        expires_at timestamptz NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT reservation_tenant_id_key UNIQUE (tenant_id, id),
        CONSTRAINT reservation_expires_after_creation CHECK (expires_at > created_at)
      )`);
    // The sweeper's queue: only active holds, by expiry.
    await q.query(`CREATE INDEX reservation_active_expiry_idx ON reservation (expires_at) WHERE status = 'active'`);
    await q.query(`CREATE INDEX reservation_tenant_created_idx ON reservation (tenant_id, created_at DESC, id DESC)`);
    await q.query(
      `CREATE INDEX reservation_tenant_reference_idx ON reservation (tenant_id, reference, created_at DESC, id DESC)
       WHERE reference IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE reservation_line (
        reservation_id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        item_id uuid NOT NULL,
        warehouse_id uuid NOT NULL,
        quantity integer NOT NULL CONSTRAINT reservation_line_quantity_positive CHECK (quantity > 0),
        PRIMARY KEY (reservation_id, item_id, warehouse_id),
        CONSTRAINT reservation_line_reservation_fk FOREIGN KEY (tenant_id, reservation_id)
          REFERENCES reservation (tenant_id, id),
        CONSTRAINT reservation_line_stock_fk FOREIGN KEY (item_id, warehouse_id) REFERENCES stock (item_id, warehouse_id)
      )`);
    await q.query(`CREATE INDEX reservation_line_stock_idx ON reservation_line (item_id, warehouse_id)`);
    await q.query(`CREATE INDEX warehouse_allocation_idx ON warehouse (tenant_id, priority, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX warehouse_allocation_idx`);
    await q.query(`DROP TABLE reservation_line`);
    await q.query(`DROP TABLE reservation`);
  }
}
