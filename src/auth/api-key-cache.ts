import { Injectable } from '@nestjs/common';
import { Env } from '../config/env.js';
import type { AuthKey } from './api-key.js';

const MAX_ENTRIES = 10_000;

/**
 * Keys found by their hash, remembered for AUTH_CACHE_TTL_MS so that a request
 * costs no round trip for its key. The price: a key revoked (or a tenant
 * disabled) by another instance keeps working here until its entry is that old.
 * This instance's own changes forget the entries they concern at once, after
 * they commit.
 *
 * A lookup that began before such a forget() must not put back what it read
 * (the row as it was before the change committed): `set` takes the epoch seen
 * before the lookup and drops the entry when a forget() came in between.
 */
@Injectable()
export class ApiKeyCache {
  private readonly entries = new Map<string, { key: AuthKey; until: number }>();
  private readonly ttlMs: number;
  private forgets = 0;

  constructor(env: Env) {
    this.ttlMs = env.AUTH_CACHE_TTL_MS;
  }

  get(hash: string, now = Date.now()): AuthKey | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    if (entry.until > now) return entry.key;
    this.entries.delete(hash);
    return undefined;
  }

  /** To pass to `set` after the lookup. */
  epoch(): number {
    return this.forgets;
  }

  set(hash: string, key: AuthKey, epochBeforeLookup: number): void {
    if (this.ttlMs <= 0 || epochBeforeLookup !== this.forgets) return;
    if (this.entries.size >= MAX_ENTRIES) this.entries.clear();
    this.entries.set(hash, { key, until: Date.now() + this.ttlMs });
  }

  forgetKey(keyId: string): void {
    this.forget((key) => key.id === keyId);
  }

  forgetTenant(tenantId: string): void {
    this.forget((key) => key.tenant_id === tenantId);
  }

  private forget(matches: (key: AuthKey) => boolean): void {
    this.forgets++;
    for (const [hash, entry] of this.entries) if (matches(entry.key)) this.entries.delete(hash);
  }
}
