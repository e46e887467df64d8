import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Orders own one reservation each; their lines are the reservation's holds with
 * a unit price. Money is bigint minor units; totals are computed by the server.
 */
export class Orders1732400000000 implements MigrationInterface {
  name = 'Orders1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE orders (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        status text NOT NULL DEFAULT 'pending' CONSTRAINT orders_status_valid
          CHECK (status IN ('pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled')),
        currency text NOT NULL CONSTRAINT orders_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
        total_amount bigint NOT NULL CONSTRAINT orders_total_range CHECK (total_amount BETWEEN 0 AND 9007199254740991),
        customer_ref text CONSTRAINT orders_customer_ref_length CHECK (char_length(customer_ref) BETWEEN 1 AND 255),
        reservation_id uuid NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT orders_tenant_id_key UNIQUE (tenant_id, id),
        -- one order per reservation
        CONSTRAINT orders_reservation_key UNIQUE (reservation_id),
        CONSTRAINT orders_reservation_fk FOREIGN KEY (tenant_id, reservation_id) REFERENCES reservation (tenant_id, id)
      )`);
    // One index per sort and per selective filter, tenant first; id breaks ties for keyset pagination.
    await q.query(`CREATE INDEX orders_tenant_created_idx ON orders (tenant_id, created_at, id)`);
    await q.query(`CREATE INDEX orders_tenant_total_idx ON orders (tenant_id, total_amount, id)`);
    await q.query(`CREATE INDEX orders_tenant_status_created_idx ON orders (tenant_id, status, created_at, id)`);
    await q.query(`CREATE INDEX orders_tenant_status_total_idx ON orders (tenant_id, status, total_amount, id)`);
    await q.query(
      `CREATE INDEX orders_tenant_customer_created_idx ON orders (tenant_id, customer_ref, created_at, id)
       WHERE customer_ref IS NOT NULL`,
    );

    await q.query(`
      CREATE TABLE order_line (
        order_id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        item_id uuid NOT NULL,
        warehouse_id uuid NOT NULL,
        quantity integer NOT NULL CONSTRAINT order_line_quantity_positive CHECK (quantity > 0),
        unit_price bigint NOT NULL CONSTRAINT order_line_unit_price_range CHECK (unit_price BETWEEN 0 AND 9007199254740991),
        line_total bigint NOT NULL,
        PRIMARY KEY (order_id, item_id, warehouse_id),
        CONSTRAINT order_line_total_exact CHECK (line_total = quantity::bigint * unit_price),
        CONSTRAINT order_line_order_fk FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id),
        CONSTRAINT order_line_item_fk FOREIGN KEY (tenant_id, item_id) REFERENCES item (tenant_id, id)
      )`);

    await q.query(`
      CREATE TABLE order_status_history (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        order_id uuid NOT NULL,
        tenant_id uuid NOT NULL,
        from_status text,
        to_status text NOT NULL,
        actor text NOT NULL,
        reason text,
        created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        CONSTRAINT order_status_history_order_fk FOREIGN KEY (tenant_id, order_id) REFERENCES orders (tenant_id, id)
      )`);
    await q.query(`CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE order_status_history`);
    await q.query(`DROP TABLE order_line`);
    await q.query(`DROP TABLE orders`);
  }
}
