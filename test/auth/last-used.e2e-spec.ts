import { describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { ApiKeyUsage } from '../../src/auth/api-key-usage.js';
import { newKey } from '../support/api-keys.js';
import { countQueries, newTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { sleep } from '../support/util.js';

// last_used_at is kept without a write per request: each instance notes uses in
// memory and writes them in one UPDATE every AUTH_LAST_USED_FLUSH_MS, and on shutdown.

const lastUsed = async (db: TestApp['db'], keyId: string): Promise<Date | null> =>
  (await db.query('SELECT last_used_at FROM api_key WHERE id = $1', [keyId]))[0].last_used_at;

/** The statements sent to PostgreSQL while `send` runs. */
async function statements(send: () => Promise<unknown>): Promise<string[]> {
  const texts: string[] = [];
  const original = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
    const text = args[0];
    texts.push(typeof text === 'string' ? text : String((text as { text?: string })?.text ?? ''));
    return (original as (...a: unknown[]) => unknown).apply(this, args);
  } as typeof original;
  try {
    await send();
  } finally {
    pg.Client.prototype.query = original;
  }
  return texts;
}

/** Runs `body` against an app that flushes every `flushMs`, closed afterwards whatever happens. */
async function withApp(flushMs: number, body: (t: TestApp) => Promise<void>): Promise<void> {
  const t = await startTestApp({ AUTH_LAST_USED_FLUSH_MS: String(flushMs) });
  try {
    await body(t);
  } finally {
    await t.close();
  }
}

describe('last_used_at', () => {
  it('requests write nothing; one flush writes every key used since, in one UPDATE; then nothing to write', () =>
    withApp(3_600_000, async (t) => {
      const tenant = await newTenant(t);
      const other = await newKey(t, tenant, { scopes: ['inventory:read'] });
      const since = new Date();
      const during = await statements(() =>
        Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            t.http
              .get('/api/items')
              .set(i % 2 ? tenant.auth : other.auth)
              .expect(200),
          ),
        ),
      );
      expect(during.filter((s) => /api_key/.test(s) && !/^\s*SELECT/i.test(s))).toEqual([]);
      expect(await lastUsed(t.db, tenant.keyId)).toBeNull();

      const usage = t.app.get(ApiKeyUsage);
      const flush = await statements(() => usage.flush());
      expect(flush).toEqual([expect.stringMatching(/^\s*UPDATE api_key k SET last_used_at/)]);
      for (const id of [tenant.keyId, other.id]) {
        const at = await lastUsed(t.db, id);
        expect(at!.getTime()).toBeGreaterThanOrEqual(since.getTime());
        expect(at!.getTime()).toBeLessThanOrEqual(Date.now());
      }
      expect(await countQueries(() => usage.flush())).toBe(0);
    }));

  it('only ever moves forward: an older use noted later does not overwrite a newer one', () =>
    withApp(3_600_000, async (t) => {
      const tenant = await newTenant(t);
      await t.http.get('/api/me').set(tenant.auth).expect(200);
      const usage = t.app.get(ApiKeyUsage);
      await usage.flush();
      const recorded = await lastUsed(t.db, tenant.keyId);
      usage.touch(tenant.keyId, recorded!.getTime() - 3_600_000);
      await usage.flush();
      expect(await lastUsed(t.db, tenant.keyId)).toEqual(recorded);
    }));

  it('the timer writes it within AUTH_LAST_USED_FLUSH_MS, and GET /api/me shows it', () =>
    withApp(200, async (t) => {
      const tenant = await newTenant(t);
      await t.http.get('/api/me').set(tenant.auth).expect(200);
      const started = Date.now();
      while ((await lastUsed(t.db, tenant.keyId)) === null && Date.now() - started < 5000) await sleep(20);
      expect(Date.now() - started).toBeLessThan(1000);
      const me = await t.http.get('/api/me').set(tenant.auth).expect(200);
      expect(me.body.data.api_key.last_used_at).toBe((await lastUsed(t.db, tenant.keyId))!.toISOString());
    }));

  it('an instance that shuts down writes what it noted first', async () => {
    const t = await startTestApp({ AUTH_LAST_USED_FLUSH_MS: '3600000' });
    const tenant = await newTenant(t);
    await t.http.get('/api/me').set(tenant.auth).expect(200);
    await t.close();
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await client.connect();
    try {
      const { rows } = await client.query('SELECT last_used_at FROM api_key WHERE id = $1', [tenant.keyId]);
      expect(rows[0].last_used_at).toEqual(expect.any(Date));
    } finally {
      await client.end();
    }
  });
});
