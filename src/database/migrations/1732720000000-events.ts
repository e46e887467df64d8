import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox: one row per event, written by the statement of the
 * change it tells of (so it commits or rolls back with it), read by the event
 * feed and the webhook relay in one total order per tenant: (txid, id).
 *
 * `id` is taken when the row is written, but transactions commit in another
 * order: a reader that has seen id 105 could later miss a 104 that committed
 * after it read. `txid` is the writing transaction's id, and readers hand out
 * only events of transactions older than every transaction still in flight
 * (txid < pg_snapshot_xmin(pg_current_snapshot())): any event committed later
 * has a larger txid than every event handed out before, so a cursor on
 * (txid, id) never skips one.
 */
export class Events1732720000000 implements MigrationInterface {
  name = 'Events1732720000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE event (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
        tenant_id uuid NOT NULL REFERENCES tenant (id),
        type text NOT NULL CONSTRAINT event_type_format CHECK (type ~ '^[a-z_]+\\.[a-z_]+$'),
        object_type text NOT NULL,
        object_id uuid NOT NULL,
        -- for stock events: the stock row and its movement's number, the order deliveries keep
        item_id uuid,
        warehouse_id uuid,
        seq integer,
        request_id text NOT NULL,
        payload jsonb NOT NULL,
        occurred_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT event_stock_row_whole CHECK ((item_id IS NULL) = (warehouse_id IS NULL) AND (seq IS NULL OR item_id IS NOT NULL))
      )`);
    await q.query(`CREATE INDEX event_feed_idx ON event (tenant_id, txid, id)`);
    // The purge finds the old rows by time. Rows arrive in time order, so a BRIN index
    // (a few pages, and next to nothing per insert) finds them as well as a btree would.
    await q.query(`CREATE INDEX event_occurred_idx ON event USING brin (occurred_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE event`);
  }
}
