import type { EntityManager } from 'typeorm';
import { setList } from '../common/patch.js';
import { sql, type SqlPart } from '../database/sql.js';

/** An endpoint as the API shows it (never its secret). */
export interface WebhookView {
  id: string;
  url: string;
  description: string | null;
  /** null: every event type. */
  event_types: string[] | null;
  /** Events per message: 1, one event per message; more, a batch (see WebhookRelay). */
  batch_size: number;
  active: boolean;
  disabled_reason: string | null;
  disabled_at: string | null;
  consecutive_failures: number;
  failing_since: string | null;
  created_at: string;
  updated_at: string;
}

type Dates = 'disabled_at' | 'failing_since' | 'created_at' | 'updated_at';
export interface WebhookRow extends Omit<WebhookView, Dates> {
  tenant_id: string;
  disabled_at: Date | null;
  failing_since: Date | null;
  created_at: Date;
  updated_at: Date;
  secret: string;
  previous_secret: string | null;
  previous_secret_until: Date | null;
}

export const WEBHOOK_COLUMNS = `id, tenant_id, url, description, event_types, batch_size, active, disabled_reason, disabled_at,
  consecutive_failures, failing_since, created_at, updated_at, secret, previous_secret, previous_secret_until`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toWebhookView(row: WebhookRow): WebhookView {
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    event_types: row.event_types,
    batch_size: row.batch_size,
    active: row.active,
    disabled_reason: row.disabled_reason,
    disabled_at: iso(row.disabled_at),
    consecutive_failures: row.consecutive_failures,
    failing_since: iso(row.failing_since),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

/** The fields PATCH may change (columns of the same names). */
export type WebhookChanges = Partial<
  Pick<WebhookView, 'url' | 'description' | 'event_types' | 'batch_size' | 'active'>
>;

/** One endpoint of the tenant, or undefined. */
export function findWebhook(manager: EntityManager, tenantId: string, id: string): Promise<WebhookRow | undefined> {
  return selectWebhook(manager, tenantId, id, '');
}

/** Locks one endpoint of the tenant (NO KEY UPDATE: deliveries referencing it are not held up) and reads it. */
export function lockWebhook(manager: EntityManager, tenantId: string, id: string): Promise<WebhookRow | undefined> {
  return selectWebhook(manager, tenantId, id, 'FOR NO KEY UPDATE');
}

async function selectWebhook(manager: EntityManager, tenantId: string, id: string, lock: string) {
  const [row] = await sql<WebhookRow>(
    manager,
    `SELECT ${WEBHOOK_COLUMNS} FROM webhook_endpoint WHERE tenant_id = $1 AND id = $2 ${lock}`,
    [tenantId, id],
  );
  return row;
}

export interface NewWebhook {
  id: string;
  tenantId: string;
  url: string;
  description: string | null;
  eventTypes: string[] | null;
  batchSize: number;
  sealedSecret: string;
}

/**
 * A new endpoint. Its fan-out cursor starts at its own transaction: it gets the
 * events of transactions that began after it.
 */
export function insertWebhookPart(w: NewWebhook): SqlPart {
  return {
    text: `INSERT INTO webhook_endpoint (id, tenant_id, url, description, event_types, batch_size, secret)
           VALUES ($1, $2, $3, $4, $5::text[], $6, $7) RETURNING ${WEBHOOK_COLUMNS}`,
    params: [w.id, w.tenantId, w.url, w.description, w.eventTypes, w.batchSize, w.sealedSecret],
  };
}

/**
 * The UPDATE of a locked endpoint. Turned active again, it starts afresh:
 * failures forgotten, and its deliveries that were held back due at once.
 */
export function updateWebhookPart(id: string, changes: WebhookChanges): SqlPart {
  const set = setList(changes, 2);
  const reactivated =
    changes.active === true
      ? `, consecutive_failures = 0, failing_since = NULL, paused_until = NULL, disabled_reason = NULL, disabled_at = NULL`
      : '';
  return {
    text: `UPDATE webhook_endpoint SET ${set.text}${reactivated}, updated_at = now() WHERE id = $1`,
    params: [id, ...set.params],
  };
}

/** A new signing secret; the old one keeps signing too until `overlapHours` from now. */
export function rotateSecretPart(
  id: string,
  sealedSecret: string,
  sealedPrevious: string,
  overlapHours: number,
): SqlPart {
  return {
    text: `UPDATE webhook_endpoint SET secret = $2, previous_secret = $3,
             previous_secret_until = now() + make_interval(hours => $4), updated_at = now()
           WHERE id = $1`,
    params: [id, sealedSecret, sealedPrevious, overlapHours],
  };
}

export function deleteWebhookPart(id: string): SqlPart {
  return { text: `DELETE FROM webhook_endpoint WHERE id = $1`, params: [id] };
}

/** Disables an endpoint the relay gave up on (its deliveries stay pending until it is turned active again). */
export function disableWebhookPart(id: string, reason: string): SqlPart {
  return {
    text: `UPDATE webhook_endpoint SET active = false, disabled_reason = $2, disabled_at = now(), updated_at = now()
           WHERE id = $1`,
    params: [id, reason],
  };
}

/** What an endpoint is doing: delivering, failing (retried, paused), disabled by the relay, or turned off by its tenant. */
export const ENDPOINT_STATES = ['healthy', 'failing', 'disabled', 'inactive'] as const;
export type EndpointState = (typeof ENDPOINT_STATES)[number];

/** How many endpoints, of every tenant, are in each state (for the metrics; a scan of a small table). */
export async function endpointCountsByState(db: {
  query: EntityManager['query'];
}): Promise<Record<EndpointState, number>> {
  const [row] = await db.query<Record<EndpointState, number>[]>(
    `SELECT count(*) FILTER (WHERE active AND consecutive_failures = 0)::int AS healthy,
            count(*) FILTER (WHERE active AND consecutive_failures > 0)::int AS failing,
            count(*) FILTER (WHERE NOT active AND disabled_reason IS NOT NULL)::int AS disabled,
            count(*) FILTER (WHERE NOT active AND disabled_reason IS NULL)::int AS inactive
     FROM webhook_endpoint`,
  );
  return row!;
}
