import type { DataSource, EntityManager } from 'typeorm';
import { cursorTimestamp } from '../common/keyset.js';
import { sql } from '../database/sql.js';
import type { ApiKeyRow, AuthKey } from './api-key.js';
import type { NewApiKey } from './api-key-secret.js';
import type { Scope } from './scopes.js';

// Every query of the api_key table.

const COLUMNS = `k.id, k.tenant_id, k.label, k.key_prefix AS prefix, k.scopes, k.created_at, k.expires_at,
                 k.revoked_at, k.last_used_at, k.rotated_from`;

export interface KeySpec {
  label: string;
  scopes: Scope[];
  expiresAt: string | null;
  rotatedFrom: string | null;
}

/** The guard's one query per request (or per AUTH_CACHE_TTL_MS): the key by its hash, with its tenant's state. */
export async function findKeyByHash(db: DataSource, hash: Buffer): Promise<AuthKey | undefined> {
  const rows = await db.query<AuthKey[]>(
    `SELECT ${COLUMNS}, t.disabled_at AS tenant_disabled_at
     FROM api_key k JOIN tenant t ON t.id = k.tenant_id WHERE k.key_hash = $1`,
    [hash],
  );
  return rows[0];
}

export async function insertKey(
  manager: EntityManager,
  tenantId: string,
  spec: KeySpec,
  secret: NewApiKey,
): Promise<ApiKeyRow> {
  const [row] = await sql<ApiKeyRow>(
    manager,
    `INSERT INTO api_key AS k (tenant_id, label, key_hash, key_prefix, scopes, expires_at, rotated_from)
     VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
    [tenantId, spec.label, secret.hash, secret.prefix, spec.scopes, spec.expiresAt, spec.rotatedFrom],
  );
  return row!;
}

/** A tenant's keys, oldest first, after the cursor's (created_at, id). */
export function listKeys(
  db: DataSource,
  tenantId: string,
  after: [string, string] | undefined,
  limit: number,
): Promise<(ApiKeyRow & { cursor_ts: string })[]> {
  return db.query(
    `SELECT ${COLUMNS}, ${cursorTimestamp('k.created_at')} AS cursor_ts
     FROM api_key k WHERE k.tenant_id = $1 ${after ? 'AND (k.created_at, k.id) > ($3::timestamptz, $4::uuid)' : ''}
     ORDER BY k.created_at, k.id LIMIT $2`,
    after ? [tenantId, limit, ...after] : [tenantId, limit],
  );
}

/** The key of that tenant, locked for a change (undefined: no such key of that tenant). */
export async function lockKey(manager: EntityManager, tenantId: string, id: string): Promise<ApiKeyRow | undefined> {
  const [row] = await sql<ApiKeyRow>(
    manager,
    `SELECT ${COLUMNS} FROM api_key k WHERE k.tenant_id = $1 AND k.id = $2 FOR UPDATE`,
    [tenantId, id],
  );
  return row;
}

export async function revokeKey(manager: EntityManager, id: string): Promise<ApiKeyRow> {
  const [row] = await sql<ApiKeyRow>(
    manager,
    `UPDATE api_key k SET revoked_at = now() WHERE k.id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  return row!;
}

export async function setKeyExpiry(manager: EntityManager, id: string, expiresAt: string): Promise<ApiKeyRow> {
  const [row] = await sql<ApiKeyRow>(
    manager,
    `UPDATE api_key k SET expires_at = $2 WHERE k.id = $1 RETURNING ${COLUMNS}`,
    [id, expiresAt],
  );
  return row!;
}

/**
 * The uses an instance saw since its last flush, in one statement however many
 * keys and requests: last_used_at only ever moves forward.
 */
export async function recordUses(db: DataSource, uses: Map<string, number>): Promise<void> {
  // In key order, so that instances (and WORKERS) flushing the same keys at once lock their rows in
  // the same order (a join in input order or in table order alike) and do not deadlock each other.
  const sorted = [...uses].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  await db.query(
    `UPDATE api_key k SET last_used_at = u.used_at
     FROM unnest($1::uuid[], $2::timestamptz[]) AS u(id, used_at)
     WHERE k.id = u.id AND (k.last_used_at IS NULL OR k.last_used_at < u.used_at)`,
    [sorted.map(([id]) => id), sorted.map(([, ms]) => new Date(ms).toISOString())],
  );
}
