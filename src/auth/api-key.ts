import { type DomainError, TenantDisabledError, UnauthorizedError } from '../common/errors.js';
import type { Scope } from './scopes.js';

/** An API key as stored (never its secret: only its hash is, and that is not read back). */
export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  label: string;
  prefix: string;
  scopes: Scope[];
  created_at: Date;
  expires_at: Date | null;
  revoked_at: Date | null;
  last_used_at: Date | null;
  rotated_from: string | null;
}

/** A key as the guard finds it by its secret: with whether its tenant is disabled. */
export interface AuthKey extends ApiKeyRow {
  tenant_disabled_at: Date | null;
}

/** What the API shows of a key: in the admin list, on creation (with the secret), in GET /api/me. */
export interface ApiKeyView {
  id: string;
  label: string;
  prefix: string;
  scopes: Scope[];
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  last_used_at: string | null;
  rotated_from: string | null;
}

const iso = (d: Date | null) => d?.toISOString() ?? null;

export function toApiKeyView(row: ApiKeyRow): ApiKeyView {
  return {
    id: row.id,
    label: row.label,
    prefix: row.prefix,
    scopes: row.scopes,
    created_at: row.created_at.toISOString(),
    expires_at: iso(row.expires_at),
    revoked_at: iso(row.revoked_at),
    last_used_at: iso(row.last_used_at),
    rotated_from: row.rotated_from,
  };
}

/**
 * Why a key found by its secret may not be used at `now`, or undefined when it may.
 * Revoked and expired keys are no credentials any more (401); a disabled tenant's
 * key still is one, of a tenant that may not act (403), until it is enabled again.
 * Expiry is decided on every request, from the key as cached: exact to the millisecond.
 */
export function refusalOf(key: AuthKey, now: number): DomainError | undefined {
  if (key.revoked_at) return new UnauthorizedError('This API key was revoked');
  if (key.expires_at && key.expires_at.getTime() <= now) {
    return new UnauthorizedError(`This API key expired at ${key.expires_at.toISOString()}`);
  }
  if (key.tenant_disabled_at) return new TenantDisabledError();
  return undefined;
}
