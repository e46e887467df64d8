import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Env } from '../config/env.js';
import type { ItemView } from '../inventory/item.repository.js';
import { cacheKeys, encodeEntry, servable, type Versions, worthStoring } from './cache-entry.js';
import { InvalidateAfterCommit, type Touched } from './invalidation.js';

/** An item asked for by id or by SKU. */
export type ItemRef = { id: string; sku?: undefined } | { sku: string; id?: undefined };

/**
 * What one round trip to Redis tells about one ref: a fresh entry (`view`, the
 * answer); or item `id` with the `versions` read now, to read it from the database
 * and store it under them; or nothing (a SKU Redis knows no item for).
 */
export interface Probe {
  view?: ItemView;
  id?: string;
  versions?: Versions;
}

export interface Fill {
  versions: Versions;
  /** When the first hold the view counts lapses (null: none). */
  holdsUntil: Date | null;
  view: ItemView;
}

// One round trip: the epoch and tenant version, then for each ref its item id (a
// SKU through its pointer), the item's version and its entry. A version that is
// missing (never set, expired, evicted, Redis restarted) is set to a new token, so a
// version never comes back to a value an old entry carries. Keys built here from
// the prefix: a single Redis (or primary), not a cluster.
const PROBE = `
local n = 0
local function version(key)
  local v = redis.call('GET', key)
  if not v then
    n = n + 1
    v = ARGV[1] .. ':' .. n
    redis.call('SET', key, v, 'PX', ARGV[2])
  end
  return v
end
local out = { version(KEYS[1]), version(KEYS[2]) }
for i = 5, #ARGV do
  local ref = ARGV[i]
  local id
  if string.sub(ref, 1, 2) == 'i:' then
    id = string.sub(ref, 3)
  else
    id = redis.call('GET', ARGV[3] .. 'sku:' .. ARGV[4] .. ':' .. string.sub(ref, 3))
  end
  if id then
    out[#out + 1] = id
    out[#out + 1] = version(ARGV[3] .. 'iv:' .. id)
    out[#out + 1] = redis.call('GET', ARGV[3] .. 'item:' .. ARGV[4] .. ':' .. id) or false
  else
    out[#out + 1] = false
    out[#out + 1] = false
    out[#out + 1] = false
  end
end
return out`;

// Stores entries only while every version they were read under is still current
// (an entry with an old tag could never be served anyway: this keeps it from
// pushing out a good one), and the SKU pointers (hints: a hit checks the SKU).
const STORE = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] or redis.call('GET', KEYS[2]) ~= ARGV[2] then return 0 end
local n = tonumber(ARGV[6])
local stored = 0
for k = 0, n - 1 do
  local at = 7 + 3 * k
  if redis.call('GET', ARGV[4] .. 'iv:' .. ARGV[at]) == ARGV[at + 1] then
    redis.call('SET', ARGV[4] .. 'item:' .. ARGV[5] .. ':' .. ARGV[at], ARGV[at + 2], 'PX', ARGV[3])
    stored = stored + 1
  end
end
for at = 7 + 3 * n, #ARGV, 2 do
  redis.call('SET', ARGV[4] .. 'sku:' .. ARGV[5] .. ':' .. ARGV[at], ARGV[at + 1], 'PX', ARGV[3])
end
return stored`;

// Replaces versions with new tokens (never INCR: a lost key would restart at a value an old entry carries).
const REPLACE = `
for i, key in ipairs(KEYS) do redis.call('SET', key, ARGV[1] .. ':' .. i, 'PX', ARGV[2]) end
return #KEYS`;

interface Scripts {
  probe(...args: string[]): Promise<(string | null)[]>;
  store(...args: string[]): Promise<number>;
  replace(...args: (string | number)[]): Promise<number>;
}

const token = () => randomBytes(12).toString('base64url');
const REPAIR_RETRY_MS = 200;

/**
 * The Redis half of the read cache (see the README's design notes). Reads: one
 * round trip for versions and entries (probe); a miss is filled from a snapshot
 * taken after its versions were read, and stored tagged with them. Writes: the
 * touched items' versions are replaced after commit, before the write's caller
 * goes on (InvalidateAfterCommit). Without REDIS_URL the cache is off and every
 * read goes to the database.
 *
 * Failures: commands time out after REDIS_COMMAND_TIMEOUT_MS and are never
 * queued while disconnected. A failed probe or store makes the read go to the
 * database. A failed invalidation may have left entries that look fresh: this
 * instance stops using the cache until it has replaced the global epoch (which
 * every entry is checked against), retrying until Redis answers.
 */
@Injectable()
export class ItemCache implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('ItemCache');
  private readonly redis?: Redis & Scripts;
  private readonly keys: ReturnType<typeof cacheKeys>;
  private readonly entryTtlMs: number;
  /** Versions outlive every entry (an expired version only turns entries into misses). */
  private readonly versionTtlMs: number;
  private readonly subscriber = new InvalidateAfterCommit((touched) => this.invalidate(touched));
  /** Invalidations that failed, and how many of them the last epoch replacement covers. */
  private failed = 0;
  private repaired = 0;
  private repairing?: Promise<void>;
  private closed = false;

  constructor(
    env: Env,
    private readonly dataSource: DataSource,
  ) {
    this.keys = cacheKeys(env.REDIS_KEY_PREFIX);
    this.entryTtlMs = env.REDIS_CACHE_TTL_SECONDS * 1000;
    this.versionTtlMs = 2 * this.entryTtlMs + 86_400_000;
    if (!env.REDIS_URL) return;
    const redis = new Redis(env.REDIS_URL, {
      lazyConnect: true,
      // Concurrent requests' commands leave in one write (one round trip for many reads under load).
      enableAutoPipelining: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: env.REDIS_COMMAND_TIMEOUT_MS,
      connectTimeout: Math.max(1000, env.REDIS_COMMAND_TIMEOUT_MS),
      retryStrategy: (times) => Math.min(times * 100, 1000),
    });
    redis.defineCommand('probe', { numberOfKeys: 2, lua: PROBE });
    redis.defineCommand('store', { numberOfKeys: 2, lua: STORE });
    redis.defineCommand('replace', { lua: REPLACE });
    // Errors are answered where a command fails; the connection's own are only logged.
    redis.on('error', (err: Error) => this.logger.debug(`redis: ${err.message}`));
    this.redis = redis as Redis & Scripts;
  }

  get enabled(): boolean {
    return this.redis !== undefined;
  }

  /** Whether reads may use the cache now: on, connected, and no invalidation of this instance left unrepaired. */
  get usable(): boolean {
    return this.redis?.status === 'ready' && this.failed === this.repaired;
  }

  onModuleInit(): void {
    if (!this.redis) return;
    this.dataSource.subscribers.push(this.subscriber);
    this.redis.connect().catch((err: Error) => this.logger.warn(`redis not reachable yet: ${err.message}`));
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const i = this.dataSource.subscribers.indexOf(this.subscriber);
    if (i >= 0) this.dataSource.subscribers.splice(i, 1);
    this.redis?.disconnect();
    await this.repairing;
  }

  /** One round trip for every ref; undefined when the cache cannot be used (the caller reads the database). */
  async probe(tenantId: string, refs: ItemRef[]): Promise<Probe[] | undefined> {
    if (!this.usable) return undefined;
    let reply: (string | null)[];
    try {
      reply = await this.redis!.probe(
        this.keys.epoch,
        this.keys.tenant(tenantId),
        token(),
        String(this.versionTtlMs),
        this.prefix,
        tenantId,
        ...refs.map((r) => (r.id !== undefined ? `i:${r.id}` : `s:${r.sku}`)),
      );
    } catch (err) {
      this.logger.debug(`probe failed, reading the database: ${String(err)}`);
      return undefined;
    }
    const [epoch, tenant] = reply as [string, string];
    const now = Date.now();
    return refs.map((ref, k) => {
      const [id, item, raw] = [reply[2 + 3 * k], reply[3 + 3 * k], reply[4 + 3 * k]];
      if (!id || !item) return {};
      const versions = { epoch, tenant, item };
      const view = servable(raw ?? null, versions, now, ref.id !== undefined ? { id } : { id, sku: ref.sku });
      return view ? { view } : { id, versions };
    });
  }

  /** Stores fills (each under the versions its probe read) and SKU pointers; never fails the read. */
  async store(tenantId: string, fills: Fill[], pointers: { sku: string; id: string }[] = []): Promise<void> {
    if (!this.usable) return;
    const now = Date.now();
    const groups = new Map<string, Fill[]>();
    for (const fill of fills) {
      if (!worthStoring(fill.holdsUntil, now)) continue;
      const key = `${fill.versions.epoch}\n${fill.versions.tenant}`;
      groups.set(key, [...(groups.get(key) ?? []), fill]);
    }
    if (groups.size === 0 && pointers.length === 0) return;
    const batches = groups.size > 0 ? [...groups.values()] : [[]];
    try {
      await Promise.all(
        batches.map((batch, b) => {
          const versions = batch[0]?.versions;
          return this.redis!.store(
            this.keys.epoch,
            this.keys.tenant(tenantId),
            versions?.epoch ?? '',
            versions?.tenant ?? '',
            String(this.entryTtlMs),
            this.prefix,
            tenantId,
            String(batch.length),
            ...batch.flatMap((f) => [f.view.id, f.versions.item, encodeEntry(f.versions, f.holdsUntil, f.view)]),
            // The pointers go with the first batch (the script stores them whatever the versions).
            ...(b === 0 ? pointers.flatMap((p) => [p.sku, p.id]) : []),
          );
        }),
      );
    } catch (err) {
      this.logger.debug(`store failed: ${String(err)}`);
    }
  }

  /**
   * After a commit: new versions for the touched items and tenants. Never
   * rejects (the change has committed); a failure is repaired by replacing the
   * epoch, and until then this instance reads the database only.
   */
  async invalidate(touched: Touched): Promise<void> {
    if (!this.redis || (touched.items.size === 0 && touched.tenants.size === 0)) return;
    const keys = [...[...touched.items].map(this.keys.item), ...[...touched.tenants].map(this.keys.tenant)];
    try {
      await this.redis.replace(keys.length, ...keys, token(), this.versionTtlMs);
    } catch (err) {
      this.failed++;
      this.logger.warn(`invalidation failed (${String(err)}): reading the database until the cache epoch is replaced`);
      this.repair();
    }
  }

  private get prefix(): string {
    return this.keys.epoch.slice(0, -'epoch'.length);
  }

  /** Replaces the epoch (every entry becomes a miss) once Redis answers; then this instance uses the cache again. */
  private repair(): void {
    if (this.repairing) return;
    this.repairing = (async () => {
      while (!this.closed && this.failed !== this.repaired) {
        const covered = this.failed;
        try {
          await this.redis!.replace(1, this.keys.epoch, token(), this.versionTtlMs);
          this.repaired = covered;
          if (this.failed === this.repaired) this.logger.warn('cache epoch replaced: using the cache again');
        } catch {
          await new Promise((resolve) => setTimeout(resolve, REPAIR_RETRY_MS));
        }
      }
    })().finally(() => {
      this.repairing = undefined;
      // A failure between the loop's last check and here found the loop still running: start it again.
      if (!this.closed && this.failed !== this.repaired) this.repair();
    });
  }
}
