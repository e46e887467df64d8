import type { EntityManager } from 'typeorm';
import { sql, type SqlPart } from '../database/sql.js';
import type { MovementNote } from '../ledger/movement.js';
import { traceparentsOf } from '../tracing/trace-context.js';
import type { NewEvent } from './event.js';

/**
 * Events of a change, as one part of its unit of work, in the order given;
 * each with the traceparent of its request when that is traced.
 */
export function insertEventsPart(events: NewEvent[]): SqlPart {
  return {
    text: `INSERT INTO event (tenant_id, type, object_type, object_id, request_id, payload, traceparent)
           SELECT e.tenant_id, e.type, e.object_type, e.object_id, e.request_id, e.payload, $2::jsonb ->> e.request_id
           FROM ROWS FROM (
                  jsonb_to_recordset($1::jsonb) AS (tenant_id uuid, type text, object_type text, object_id uuid,
                                                   request_id text, payload jsonb)
                ) WITH ORDINALITY AS e(tenant_id, type, object_type, object_id, request_id, payload, n)
           ORDER BY e.n`,
    params: [JSON.stringify(events), traceparentsOf(events)],
  };
}

/**
 * The stock events of the movements another part recorded (`ledger`, the rows it
 * returned) on the rows part `moved` changed (its `event_txid` is their feed
 * position: after the row's earlier events, see the feed-order migration): one `stock.changed` per movement, and when the row's available units
 * cross a line, `stock.out_of_stock` (to 0), `stock.back_in_stock` (from 0) or
 * `stock.low` (to or below the item's reorder point, or back above it). Each
 * carries the row's movement number, the order a consumer applies them in.
 * The types are decided first and a payload is built only for the events kept,
 * in one jsonb_build_object each: building all four candidates' payloads and
 * merging the common fields in with `||` cost about 5 ms per 1,000 movements
 * (a 1,000-line batch), for the same documents. `movements` are those the
 * ledger records: their requests' traceparents go with the events.
 */
export function stockEventsPart(ledger: string, moved: string, movements: MovementNote[]): SqlPart {
  return {
    text: `INSERT INTO event (txid, tenant_id, type, object_type, object_id, item_id, warehouse_id, seq, request_id,
                              payload, traceparent)
           SELECT r.event_txid, m.tenant_id, e.type, 'stock', m.item_id, m.item_id, m.warehouse_id, m.seq, m.request_id,
                  CASE e.n
                    WHEN 1 THEN jsonb_build_object(
                      'item_id', m.item_id, 'warehouse_id', m.warehouse_id, 'sku', i.sku, 'seq', m.seq,
                      'movement', jsonb_build_object('id', m.id::text, 'type', m.type, 'on_hand_delta', m.on_hand_delta,
                                                     'reserved_delta', m.reserved_delta, 'reference', m.reference,
                                                     'reason', m.reason, 'actor', m.actor),
                      'before', jsonb_build_object('on_hand', b.on_hand, 'reserved', b.reserved, 'available', b.available),
                      'after', jsonb_build_object('on_hand', m.on_hand_after, 'reserved', m.reserved_after,
                                                  'available', b.available_after))
                    WHEN 4 THEN jsonb_build_object(
                      'item_id', m.item_id, 'warehouse_id', m.warehouse_id, 'sku', i.sku, 'seq', m.seq,
                      'available', b.available_after, 'reorder_point', i.reorder_point,
                      'low', b.available_after <= i.reorder_point)
                    ELSE jsonb_build_object(
                      'item_id', m.item_id, 'warehouse_id', m.warehouse_id, 'sku', i.sku, 'seq', m.seq,
                      'available', b.available_after)
                  END,
                  $1::jsonb ->> m.request_id
           FROM ${ledger} m
           JOIN ${moved} r ON r.item_id = m.item_id AND r.warehouse_id = m.warehouse_id
           JOIN item i ON i.id = m.item_id
           CROSS JOIN LATERAL (
             SELECT m.on_hand_after - m.on_hand_delta AS on_hand, m.reserved_after - m.reserved_delta AS reserved,
                    m.on_hand_after - m.reserved_after - m.on_hand_delta + m.reserved_delta AS available,
                    m.on_hand_after - m.reserved_after AS available_after
           ) b
           CROSS JOIN LATERAL (VALUES
             (1, 'stock.changed'),
             (2, CASE WHEN b.available > 0 AND b.available_after = 0 THEN 'stock.out_of_stock' END),
             (3, CASE WHEN b.available = 0 AND b.available_after > 0 THEN 'stock.back_in_stock' END),
             (4, CASE WHEN (b.available > i.reorder_point) <> (b.available_after > i.reorder_point) THEN 'stock.low' END)
           ) e(n, type)
           WHERE e.type IS NOT NULL
           ORDER BY m.item_id, m.warehouse_id, m.seq, e.n`,
    params: [traceparentsOf(movements)],
  };
}

/** A position in a tenant's feed: after the event (txid, id). */
export interface FeedPosition {
  txid: string;
  id: string;
}

export interface EventRow {
  id: string;
  txid: string;
  tenant_id: string;
  type: string;
  object_type: string;
  object_id: string;
  seq: number | null;
  request_id: string;
  payload: unknown;
  occurred_at: Date;
}

/** A page of the feed, and how far it reaches. */
export interface FeedPage {
  rows: EventRow[];
  /**
   * With a types filter and a page that is not full: the last event of any type
   * the read could see, so that the next read starts after the events it passed
   * over instead of scanning them again. Undefined otherwise.
   */
  through?: FeedPosition;
}

/**
 * The tenant's events after `after`, in feed order, of transactions older than
 * every transaction still in flight (see the events migration): what a reader
 * may be handed without ever missing one that commits later. The page and how
 * far it reaches are read by one statement, in one snapshot: every event of the
 * wanted types up to `through` is in the page.
 */
export async function readFeed(
  manager: EntityManager,
  tenantId: string,
  after: FeedPosition,
  limit: number,
  types?: string[],
): Promise<FeedPage> {
  const rows = await sql<EventRow & { horizon: boolean }>(
    manager,
    // Each branch walks event_feed_idx from its own end (a CTE the two shared would be
    // materialized: every visible event read for every page).
    `WITH page AS (
       SELECT e.* FROM event e
       WHERE e.tenant_id = $1 AND (e.txid, e.id) > ($2::xid8, $3::bigint)
         AND e.txid < pg_snapshot_xmin(pg_current_snapshot())
         AND ($4::text[] IS NULL OR e.type = ANY($4))
       ORDER BY e.txid, e.id LIMIT $5
     ), horizon AS (
       SELECT e.* FROM event e
       WHERE $4::text[] IS NOT NULL AND (SELECT count(*) FROM page) < $5
         AND e.tenant_id = $1 AND (e.txid, e.id) > ($2::xid8, $3::bigint)
         AND e.txid < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY e.txid DESC, e.id DESC LIMIT 1
     ), both_ AS (
       SELECT *, false AS horizon FROM page UNION ALL SELECT *, true FROM horizon
     )
     SELECT e.id::text, e.txid::text, e.tenant_id, e.type, e.object_type, e.object_id, e.seq, e.request_id, e.payload,
            e.occurred_at, e.horizon
     FROM both_ e
     -- the columns, not the text the select list makes of them (text would sort 999 after 1000)
     ORDER BY e.horizon, e.txid, e.id`,
    [tenantId, after.txid, after.id, types ?? null, limit],
  );
  const through = rows.find((r) => r.horizon);
  return {
    rows: rows.filter((r) => !r.horizon).map(({ horizon: _, ...row }) => row),
    ...(through ? { through: { txid: through.txid, id: through.id } } : {}),
  };
}

/**
 * The purge's mark of the tenant: the last feed position it deleted (every event
 * kept comes after it), or undefined when nothing was purged. It only moves
 * forward: a reader that read a page and then finds the mark at or before its
 * cursor knows that nothing after the cursor was gone when it read.
 */
export async function purgeMark(manager: EntityManager, tenantId: string): Promise<FeedPosition | undefined> {
  const [row] = await sql<FeedPosition>(
    manager,
    `SELECT txid::text, id::text FROM event_purge_mark WHERE tenant_id = $1`,
    [tenantId],
  );
  return row;
}

/** Whether `a` comes after `b` in the feed. */
export function isAfter(a: FeedPosition, b: FeedPosition): boolean {
  const [ta, tb] = [BigInt(a.txid), BigInt(b.txid)];
  return ta !== tb ? ta > tb : BigInt(a.id) > BigInt(b.id);
}

/** Tenants with events older than `days` (the BRIN index finds the old ranges). */
export async function tenantsWithOldEvents(manager: EntityManager, days: number): Promise<string[]> {
  const rows = await sql<{ tenant_id: string }>(
    manager,
    `SELECT DISTINCT tenant_id FROM event WHERE occurred_at < now() - make_interval(days => $1)`,
    [days],
  );
  return rows.map((r) => r.tenant_id);
}

/**
 * Deletes the start of a tenant's feed, up to `batch` events, that is older than
 * `days`: in feed order, up to the first event still kept (an event's time is its
 * transaction's start, which does not follow the feed's order, so deleting by time
 * alone could leave a kept event before a deleted one), and only events every
 * reader may already have been handed (settled). Moves the tenant's mark to the
 * last position deleted, in the same statement. Answers how many went, and
 * whether the batch reached an event that is kept (then the purge is done).
 */
export async function purgeFeedStart(
  manager: EntityManager,
  tenantId: string,
  days: number,
  batch: number,
): Promise<{ n: number; done: boolean }> {
  const [row] = await sql<{ n: number; done: boolean }>(
    manager,
    `WITH head AS MATERIALIZED (
       SELECT e.id, e.txid, e.occurred_at FROM event e
       WHERE e.tenant_id = $1 AND e.txid < pg_snapshot_xmin(pg_current_snapshot())
       ORDER BY e.txid, e.id LIMIT $3
     ), kept AS (
       SELECT txid, id FROM head WHERE occurred_at >= now() - make_interval(days => $2) ORDER BY txid, id LIMIT 1
     ), gone AS (
       DELETE FROM event e USING head h
       WHERE e.id = h.id AND (NOT EXISTS (SELECT 1 FROM kept) OR (h.txid, h.id) < (SELECT txid, id FROM kept))
       RETURNING e.txid, e.id
     ), marked AS (
       INSERT INTO event_purge_mark AS m (tenant_id, txid, id)
       SELECT $1, txid, id FROM gone ORDER BY txid DESC, id DESC LIMIT 1
       ON CONFLICT (tenant_id) DO UPDATE SET txid = excluded.txid, id = excluded.id
         WHERE (m.txid, m.id) < (excluded.txid, excluded.id)
     )
     SELECT (SELECT count(*) FROM gone)::int AS n,
            EXISTS (SELECT 1 FROM kept) OR (SELECT count(*) FROM head) < $3 AS done`,
    [tenantId, days, batch],
  );
  return row!;
}
