import type { EntityManager } from 'typeorm';
import { sql } from '../database/sql.js';
import type { EventRow } from '../events/event.repository.js';

// The relay's statements: fan-out (events → deliveries, by each endpoint's
// cursor), claiming due deliveries, and recording what their attempts did.

/** Events a feed reader may be handed (see readFeed and the events migration): none can commit before them later. */
const SETTLED = 'txid < pg_snapshot_xmin(pg_current_snapshot())';

/** Active endpoints with events to fan out, locked for this transaction; those another relay holds are skipped. */
export function claimEndpointsForFanOut(
  manager: EntityManager,
  limit: number,
  tenantIds: string[] | null,
): Promise<{ id: string; tenant_id: string; event_types: string[] | null }[]> {
  return sql(
    manager,
    `SELECT w.id, w.tenant_id, w.event_types FROM webhook_endpoint w
     WHERE w.active AND ($2::uuid[] IS NULL OR w.tenant_id = ANY($2::uuid[])) AND EXISTS (
       SELECT 1 FROM event WHERE tenant_id = w.tenant_id AND (txid, id) > (w.cursor_txid, w.cursor_id) AND ${SETTLED})
     ORDER BY w.id LIMIT $1
     FOR NO KEY UPDATE OF w SKIP LOCKED`,
    [limit, tenantIds],
  );
}

/**
 * Gives the next `limit` settled events after the endpoint's cursor a delivery
 * each (those of the types it wants) and moves the cursor past them, in one
 * statement of the transaction that holds the endpoint: every event gets one
 * delivery per endpoint, whatever runs beside it. Answers how many were read.
 */
export async function fanOut(
  manager: EntityManager,
  endpoint: { id: string; tenant_id: string; event_types: string[] | null },
  limit: number,
): Promise<{ read: number; inserted: number }> {
  const [row] = await sql<{ read: number; inserted: number }>(
    manager,
    `WITH w AS (SELECT cursor_txid, cursor_id FROM webhook_endpoint WHERE id = $1),
     ev AS MATERIALIZED (
       SELECT e.id, e.txid, e.type, e.item_id, e.warehouse_id, e.seq FROM event e, w
       WHERE e.tenant_id = $2 AND (e.txid, e.id) > (w.cursor_txid, w.cursor_id) AND e.${SETTLED}
       ORDER BY e.txid, e.id LIMIT $3
     ),
     ins AS (
       INSERT INTO webhook_delivery (tenant_id, endpoint_id, event_id, item_id, warehouse_id, seq)
       SELECT $2, $1, id, item_id, warehouse_id, seq FROM ev WHERE $4::text[] IS NULL OR type = ANY($4::text[])
       ORDER BY txid, id
       RETURNING 1
     ),
     last AS (SELECT txid, id FROM ev ORDER BY txid DESC, id DESC LIMIT 1),
     moved AS (UPDATE webhook_endpoint SET cursor_txid = last.txid, cursor_id = last.id FROM last WHERE webhook_endpoint.id = $1)
     SELECT (SELECT count(*) FROM ev)::int AS read, (SELECT count(*) FROM ins)::int AS inserted`,
    [endpoint.id, endpoint.tenant_id, limit, endpoint.event_types],
  );
  return row!;
}

/** A delivery claimed for sending, with its endpoint and its event. */
export interface ClaimedDelivery {
  id: string;
  endpoint_id: string;
  tenant_id: string;
  item_id: string | null;
  warehouse_id: string | null;
  seq: number | null;
  event_id: string;
  attempts: number;
  url: string;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
  consecutive_failures: number;
  batch_size: number;
  event: EventRow;
  /** The trace of the request that made the event, if it was traced: the delivery is sent in it. */
  traceparent: string | null;
}

/**
 * Claims up to `limit` due deliveries of active, unpaused endpoints (SKIP
 * LOCKED: another relay's claims are passed over) and leases them for
 * `leaseSeconds`. A stock event's delivery is claimed only when nothing
 * earlier of its stock row is left for its endpoint: no pending delivery with a
 * lower (seq, event id) outside this claim (in flight elsewhere, waiting for a
 * retry, or skipped as locked). The feed orders a row's events by seq (see the
 * feed-order migration), so the lower ones were fanned out no later than it.
 * So one endpoint gets a row's events in seq order.
 */
export function claimDue(
  manager: EntityManager,
  limit: number,
  leaseSeconds: number,
  tenantIds: string[] | null,
): Promise<ClaimedDelivery[]> {
  return sql<ClaimedDelivery>(
    manager,
    `WITH picked AS (
       SELECT d.id FROM webhook_delivery d JOIN webhook_endpoint w ON w.id = d.endpoint_id
       WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND (d.lease_until IS NULL OR d.lease_until < now())
         AND w.active AND (w.paused_until IS NULL OR w.paused_until <= now())
         AND ($3::uuid[] IS NULL OR d.tenant_id = ANY($3::uuid[]))
       ORDER BY d.next_attempt_at, d.event_id
       LIMIT $1
       FOR UPDATE OF d SKIP LOCKED
     ),
     ready AS (
       SELECT d.* FROM webhook_delivery d JOIN picked USING (id)
       WHERE d.item_id IS NULL OR NOT EXISTS (
         SELECT 1 FROM webhook_delivery p
         WHERE p.endpoint_id = d.endpoint_id AND p.item_id = d.item_id AND p.warehouse_id = d.warehouse_id
           AND p.status = 'pending' AND (p.seq, p.event_id) < (d.seq, d.event_id)
           AND p.id NOT IN (SELECT id FROM picked))
     ),
     leased AS (
       UPDATE webhook_delivery d SET lease_until = now() + make_interval(secs => $2)
       FROM ready WHERE d.id = ready.id
       RETURNING d.id
     )
     SELECT r.id, r.endpoint_id, r.tenant_id, r.item_id, r.warehouse_id, r.seq, r.event_id::text, r.attempts,
            w.url, w.secret, w.previous_secret, w.previous_secret_until, w.consecutive_failures, w.batch_size,
            json_build_object('id', e.id::text, 'txid', e.txid::text, 'tenant_id', e.tenant_id, 'type', e.type,
                              'object_type', e.object_type, 'object_id', e.object_id, 'seq', e.seq,
                              'request_id', e.request_id, 'payload', e.payload, 'occurred_at', e.occurred_at) AS event,
            e.traceparent
     FROM ready r JOIN leased USING (id) JOIN webhook_endpoint w ON w.id = r.endpoint_id JOIN event e ON e.id = r.event_id
     ORDER BY r.endpoint_id, r.item_id, r.warehouse_id, r.seq, r.event_id`,
    [limit, leaseSeconds, tenantIds],
  );
}

/** What an attempt did, and when the delivery is due again if it failed. */
export interface AttemptRecord {
  id: string;
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  succeeded: boolean;
  retry_at: string | null;
}

/** An endpoint's round: succeeded once at least (failures forgotten), or failed (paused until `paused_until`). */
export interface EndpointRound {
  id: string;
  ok: boolean;
  paused_until: string | null;
}

/**
 * Records a round in one statement: an attempt row per delivery sent, its
 * delivery succeeded, failed for good (older than `giveUpHours`) or due again,
 * the leases of those not sent given back, and each endpoint's health. Answers
 * the endpoints that failed, with their failures in a row and since when.
 */
export async function recordRound(
  manager: EntityManager,
  attempts: AttemptRecord[],
  released: string[],
  endpoints: EndpointRound[],
  giveUpHours: number,
): Promise<{ id: string; tenant_id: string; consecutive_failures: number; failing_since: Date }[]> {
  // Ends in a SELECT: the pool's manager (no transaction) would shape an UPDATE's rows differently.
  return sql(
    manager,
    `WITH r AS (
       SELECT * FROM jsonb_to_recordset($1::jsonb) AS (id uuid, started_at timestamptz, duration_ms int,
         status_code int, error text, succeeded boolean, retry_at timestamptz)
     ),
     attempt AS (
       INSERT INTO webhook_attempt (delivery_id, started_at, duration_ms, status_code, error, succeeded)
       SELECT id, started_at, duration_ms, status_code, error, succeeded FROM r
     ),
     sent AS (
       UPDATE webhook_delivery d SET attempts = d.attempts + 1, lease_until = NULL, last_status_code = r.status_code,
         last_error = r.error, delivered_at = CASE WHEN r.succeeded THEN now() ELSE d.delivered_at END,
         status = CASE WHEN r.succeeded THEN 'succeeded'
                       WHEN d.created_at < now() - make_interval(hours => $4) THEN 'failed' ELSE 'pending' END,
         next_attempt_at = COALESCE(r.retry_at, d.next_attempt_at)
       FROM r WHERE d.id = r.id
     ),
     unsent AS (UPDATE webhook_delivery SET lease_until = NULL WHERE id = ANY($2::uuid[])),
     health AS (
       UPDATE webhook_endpoint w
       SET consecutive_failures = CASE WHEN o.ok THEN 0 ELSE w.consecutive_failures + 1 END,
           failing_since = CASE WHEN o.ok THEN NULL ELSE COALESCE(w.failing_since, now()) END,
           paused_until = o.paused_until
       FROM jsonb_to_recordset($3::jsonb) AS o(id uuid, ok boolean, paused_until timestamptz)
       WHERE w.id = o.id
       RETURNING w.id, w.tenant_id, w.consecutive_failures, w.failing_since
     )
     SELECT * FROM health WHERE failing_since IS NOT NULL`,
    [JSON.stringify(attempts), released, JSON.stringify(endpoints), giveUpHours],
  );
}
