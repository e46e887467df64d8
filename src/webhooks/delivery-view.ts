import type { SqlPart } from '../database/sql.js';
import type { FeedPosition } from '../events/event.repository.js';

// Deliveries as the API shows them, and the statements that send some again.

interface Attempt {
  started_at: string;
  duration_ms: number;
  status_code: number | null;
  error: string | null;
  succeeded: boolean;
}

export interface DeliveryView {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempts: number;
  next_attempt_at: string;
  last_status_code: number | null;
  last_error: string | null;
  created_at: string;
  delivered_at: string | null;
  attempt_log: Attempt[];
}

export interface DeliveryRow extends Omit<DeliveryView, 'next_attempt_at' | 'created_at' | 'delivered_at'> {
  next_attempt_at: Date;
  created_at: Date;
  delivered_at: Date | null;
}

/** Columns of `webhook_delivery d JOIN event e`, with the last 20 attempts. */
export const DELIVERY_COLUMNS = `d.id, d.event_id::text, e.type AS event_type, d.status, d.attempts, d.next_attempt_at,
  d.last_status_code, d.last_error, d.created_at, d.delivered_at,
  COALESCE((SELECT json_agg(a ORDER BY a.id) FROM (
     SELECT id, to_char(started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS started_at, duration_ms,
            status_code, error, succeeded
     FROM webhook_attempt WHERE delivery_id = d.id ORDER BY id DESC LIMIT 20) a), '[]') AS attempt_log`;

export function toDeliveryView(row: DeliveryRow): DeliveryView {
  return {
    id: row.id,
    event_id: row.event_id,
    event_type: row.event_type,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.next_attempt_at.toISOString(),
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    created_at: row.created_at.toISOString(),
    delivered_at: row.delivered_at ? row.delivered_at.toISOString() : null,
    attempt_log: row.attempt_log.map(({ id: _id, ...a }: Attempt & { id?: number }) => a),
  };
}

/** Makes one delivery of the endpoint due now, whatever its status; returns its id (none: not the endpoint's). */
export function retryPart(tenantId: string, endpointId: string, deliveryId: string): SqlPart {
  return {
    text: `UPDATE webhook_delivery SET status = 'pending', next_attempt_at = now(), lease_until = NULL
           WHERE tenant_id = $1 AND endpoint_id = $2 AND id = $3 RETURNING id`,
    params: [tenantId, endpointId, deliveryId],
  };
}

/**
 * New deliveries for the endpoint's events after a feed position (or since a
 * time) up to its fan-out cursor, of the types it wants, in feed order, at most
 * `limit`; returns how many, and the last event's position.
 */
export function replayPart(
  endpoint: { id: string; tenant_id: string; event_types: string[] | null },
  point: { after?: FeedPosition; from?: string },
  limit: number,
): SqlPart {
  return {
    text: `WITH w AS (SELECT cursor_txid, cursor_id FROM webhook_endpoint WHERE id = $1),
           ev AS MATERIALIZED (
             SELECT e.id, e.txid, e.item_id, e.warehouse_id, e.seq FROM event e, w
             WHERE e.tenant_id = $2 AND (e.txid, e.id) <= (w.cursor_txid, w.cursor_id)
               AND ($3::xid8 IS NULL OR (e.txid, e.id) > ($3::xid8, $4::bigint))
               AND ($5::timestamptz IS NULL OR e.occurred_at >= $5::timestamptz)
               AND ($6::text[] IS NULL OR e.type = ANY($6::text[]))
             ORDER BY e.txid, e.id LIMIT $7
           ),
           ins AS (
             INSERT INTO webhook_delivery (tenant_id, endpoint_id, event_id, item_id, warehouse_id, seq)
             SELECT $2, $1, id, item_id, warehouse_id, seq FROM ev ORDER BY txid, id
           )
           SELECT count(*)::int AS n, (array_agg(txid::text ORDER BY txid DESC, id DESC))[1] AS last_txid,
                  (array_agg(id::text ORDER BY txid DESC, id DESC))[1] AS last_id
           FROM ev`,
    params: [
      endpoint.id,
      endpoint.tenant_id,
      point.after?.txid ?? null,
      point.after?.id ?? null,
      point.from ?? null,
      endpoint.event_types,
      limit,
    ],
  };
}
