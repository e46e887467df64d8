import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The feed in the order of each stock row, and a mark of what the purge took.
 *
 * The feed is ordered by (txid, id) and hands out only events of transactions
 * older than every one in flight (see the events migration). A transaction's id
 * is taken at its first write or lock (the item's KEY SHARE, an idempotency
 * claim), often before it waits for a stock row: of two transactions on one
 * row, the one that moved it second could have the smaller id, and the feed
 * would hand out the row's movement 6 before its movement 5.
 *
 * So a stock event's `txid` is no longer always its transaction's own: every
 * stock row keeps the `txid` of its last event (`stock.event_txid`), and the
 * next move of the row gives its events the greater of that and its own id
 * (the UPDATE computes it on the row version it locked). One row's events then
 * sort by seq. The feed's rule still holds: an event's txid is never below its
 * transaction's own, so once every transaction below a txid has ended, every
 * event with a smaller txid has committed or rolled back.
 *
 * With the feed in row order, the relay no longer needs to look into the outbox
 * for a lower seq that is not fanned out yet: event_stock_row_idx goes.
 *
 * `event_purge_mark` is, per tenant, the last feed position the purge deleted:
 * a cursor before it would skip events, so the feed answers 410 instead.
 */
export class FeedOrder1732735000000 implements MigrationInterface {
  name = 'FeedOrder1732735000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE stock ADD COLUMN event_txid xid8 NOT NULL DEFAULT '0'`);
    // Rows with events already: their next events come after the last ones.
    await q.query(`
      UPDATE stock s SET event_txid = e.txid
      FROM (SELECT item_id, warehouse_id, max(txid) AS txid FROM event WHERE item_id IS NOT NULL
            GROUP BY item_id, warehouse_id) e
      WHERE s.item_id = e.item_id AND s.warehouse_id = e.warehouse_id`);
    await q.query(`DROP INDEX event_stock_row_idx`);
    await q.query(`
      CREATE TABLE event_purge_mark (
        tenant_id uuid PRIMARY KEY REFERENCES tenant (id),
        txid xid8 NOT NULL,
        id bigint NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE event_purge_mark`);
    await q.query(
      `CREATE INDEX event_stock_row_idx ON event (item_id, warehouse_id, txid, id) WHERE item_id IS NOT NULL`,
    );
    await q.query(`ALTER TABLE stock DROP COLUMN event_txid`);
  }
}
