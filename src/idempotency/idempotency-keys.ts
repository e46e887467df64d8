import { HttpStatus } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { DomainError } from '../common/errors.js';
import { sql, type SqlPart } from '../database/sql.js';

/** What a request with an Idempotency-Key is identified by. */
export interface KeyScope {
  tenantId: string;
  key: string;
  /** The request's method, path and body, hashed: the same key with another request is refused. */
  fingerprint: Buffer;
  requestId: string;
  /** The status a success is answered (and replayed) with. */
  status: number;
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

/** An error answer that is stored and replayed: a domain answer (4xx) other than invalid input. */
export function isStoredAnswer(err: unknown): err is DomainError {
  return (
    err instanceof DomainError && err.status < HttpStatus.INTERNAL_SERVER_ERROR && err.code !== 'validation_failed'
  );
}

/** The row of a key claimed before (committed), as a claim finds it. */
export interface ClaimedBefore extends StoredResponse {
  fingerprint: Buffer;
}

/**
 * Claims many keys of one tenant at once, in key order (two batches claiming
 * crossing keys then cannot deadlock). A key claimed by a transaction still in
 * flight is waited for (bounded by lock_timeout): it then either commits, and
 * the key is found, or rolls back, and the key is claimed here.
 *
 * Answers, per key: `claimed` (this transaction holds it now), the stored
 * response of the request that claimed it before, or `undefined` when it was
 * committed by another transaction after this statement's snapshot and could
 * not be read in it (rare: the caller reads it again, see `readStored`).
 */
export async function claimKeys(
  manager: EntityManager,
  tenantId: string,
  keys: { key: string; fingerprint: Buffer }[],
): Promise<Map<string, 'claimed' | ClaimedBefore | undefined>> {
  const sorted = [...keys].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const rows = await sql<{ key: string; claimed: boolean } & Partial<StoredRow>>(
    manager,
    `WITH claimed AS (
       INSERT INTO idempotency_key (tenant_id, key, request_hash)
       SELECT $1, k.key, k.hash FROM unnest($2::text[], $3::bytea[]) WITH ORDINALITY AS k(key, hash, n) ORDER BY k.n
       ON CONFLICT (tenant_id, key) DO NOTHING
       RETURNING key
     )
     SELECT key, true AS claimed, NULL::bytea AS request_hash, NULL::int AS response_status, NULL::jsonb AS response_body
     FROM claimed
     UNION ALL
     SELECT key, false, request_hash, response_status, response_body FROM idempotency_key
     WHERE tenant_id = $1 AND key = ANY($2::text[]) AND key NOT IN (SELECT key FROM claimed)`,
    [tenantId, sorted.map((k) => k.key), sorted.map((k) => k.fingerprint)],
  );
  const found = new Map<string, 'claimed' | ClaimedBefore | undefined>(keys.map((k) => [k.key, undefined]));
  for (const row of rows) found.set(row.key, row.claimed ? 'claimed' : toClaimedBefore(row as StoredRow));
  return found;
}

/** Keys committed by others after a claim's snapshot: read in a statement of their own (a new snapshot). */
export async function readStored(
  manager: EntityManager,
  tenantId: string,
  keys: string[],
): Promise<Map<string, ClaimedBefore>> {
  const rows = await sql<StoredRow & { key: string }>(
    manager,
    `SELECT key, request_hash, response_status, response_body FROM idempotency_key
     WHERE tenant_id = $1 AND key = ANY($2::text[])`,
    [tenantId, keys],
  );
  return new Map(rows.map((row) => [row.key, toClaimedBefore(row)]));
}

/** The responses of claimed keys, stored in the transaction that claimed them (a part of its unit of work). */
export function storeResponsesPart(tenantId: string, responses: { key: string; response: StoredResponse }[]): SqlPart {
  return {
    text: `UPDATE idempotency_key k SET response_status = r.status, response_body = r.body
           FROM unnest($2::text[], $3::int[], $4::jsonb[]) AS r(key, status, body)
           WHERE k.tenant_id = $1 AND k.key = r.key`,
    params: [
      tenantId,
      responses.map((r) => r.key),
      responses.map((r) => r.response.status),
      responses.map((r) => JSON.stringify(r.response.body ?? null)),
    ],
  };
}

/** Gives claimed keys up again (their requests were not decided in this transaction). */
export function dropClaimsPart(tenantId: string, keys: string[]): SqlPart {
  return {
    text: `DELETE FROM idempotency_key WHERE tenant_id = $1 AND key = ANY($2::text[])`,
    params: [tenantId, keys],
  };
}

interface StoredRow {
  request_hash: Buffer;
  response_status: number;
  response_body: unknown;
}

const toClaimedBefore = (row: StoredRow): ClaimedBefore => ({
  fingerprint: row.request_hash,
  status: row.response_status,
  body: row.response_body,
});
