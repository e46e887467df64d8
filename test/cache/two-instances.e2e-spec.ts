import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { adjustQty, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { type PrivateRedis, redisSuite, startRedis } from '../support/redis.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { sleep } from '../support/util.js';
import { staleRounds } from './support/stale-rounds.js';

// Never stale across instances, two in this process (CACHE_ROUNDS rounds, 500 by
// default to fit the e2e suite; the faults suite runs 10,000 on two built servers:
// test/faults/read-cache.faults-spec.ts).

const ROUNDS = Number(process.env.CACHE_ROUNDS ?? 500);
const PREFIX = `test2:${randomUUID().slice(0, 8)}:`;

redisSuite(describe, 'test/cache/two-instances')('two instances sharing the read cache', () => {
  let redis: PrivateRedis;
  let a: TestApp;
  let b: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    redis = await startRedis();
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: PREFIX };
    [a, b] = await Promise.all([startTestApp(env), startTestApp(env)]);
    tenant = await newTenant(a);
  });
  afterAll(async () => {
    await Promise.all([a?.close(), b?.close()]);
    await redis?.stop();
  });

  it(`${ROUNDS} rounds: write on A, read on B right after its response: 0 stale reads`, async () => {
    const items = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        newItem(a, tenant, { sku: `TWO-${i}-${randomUUID().slice(0, 6).toUpperCase()}`, qty: 1000 }),
      ),
    );
    const result = await staleRounds({
      items,
      rounds: ROUNDS,
      backgroundReaders: 2,
      write: async (item, delta) => {
        const res = await adjustQty(a, tenant, item.id, { delta }).expect(200);
        return res.body.data.qty;
      },
      read: async (kind, item, other) => {
        const on = b.http;
        if (kind === 'id') return (await on.get(`/api/items/${item.id}`).set(tenant.auth)).body.data?.qty;
        if (kind === 'sku') return (await on.get(`/api/items/sku/${item.sku}`).set(tenant.auth)).body.data?.qty;
        const res = await on
          .post('/api/availability')
          .set(tenant.auth)
          .send({ items: [{ item_id: other.id }, { item_id: item.id }] });
        return res.body.data?.items[1].on_hand;
      },
    });
    console.log(`[cache] ${result.done} rounds over two instances in ${result.ms} ms: ${result.stale.length} stale`);
    expect(result.stale.slice(0, 5)).toEqual([]);
    expect(result.done).toBeGreaterThanOrEqual(ROUNDS);
    // The cache is in use: a read on B stores the entry (after its answer, hence the wait).
    await b.http.get(`/api/items/${items[0]!.id}`).set(tenant.auth).expect(200);
    await sleep(100);
    expect(await redis.client.exists(`${PREFIX}item:${tenant.id}:${items[0]!.id}`)).toBe(1);
  }, 180_000);
});
