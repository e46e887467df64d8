import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { staleRounds } from '../cache/support/stale-rounds.js';
import { type PrivateRedis, redisSuite, startRedis } from '../support/redis.js';
import {
  call,
  newTenantKey,
  scratchDatabase,
  startService,
  type ScratchDatabase,
  type ServiceProcess,
} from './support/harness.js';

// Never stale across instances: two built servers on one database sharing a
// private Redis; A writes, B reads right after each write's response, 10,000
// rounds (CACHE_ROUNDS), with background readers on B racing the invalidations.

const ROUNDS = Number(process.env.CACHE_ROUNDS ?? 10_000);

redisSuite(describe, 'test/faults/read-cache')('faults: two built servers sharing the read cache', () => {
  let db: ScratchDatabase;
  let redis: PrivateRedis;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    [db, redis] = await Promise.all([scratchDatabase('cache'), startRedis()]);
  });
  afterAll(async () => {
    for (const s of services) await s.stop();
    await redis?.stop();
    await db?.dispose();
  });

  it(`${ROUNDS} rounds: write on A, read on B right after: 0 stale reads`, async () => {
    const env = { REDIS_URL: redis.url, REDIS_KEY_PREFIX: `faults:${randomBytes(4).toString('hex')}:` };
    services.push(...(await Promise.all([startService(db.url, env), startService(db.url, env)])));
    const [a, b] = services as [ServiceProcess, ServiceProcess];
    const tenant = await newTenantKey(a.url);
    const items = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const sku = `TWO-${i}-${randomBytes(3).toString('hex').toUpperCase()}`;
        const res = await call(a.url, 'POST', '/api/items', tenant.key, { name: `cache-${sku}`, sku, qty: 1000 });
        expect(res.status).toBe(201);
        return { id: res.body.data.id as string, sku };
      }),
    );
    const result = await staleRounds({
      items,
      rounds: ROUNDS,
      backgroundReaders: 2,
      write: async (item, delta) => {
        const res = await call(a.url, 'PATCH', `/api/items/${item.id}/qty`, tenant.key, { delta });
        if (res.status !== 200) throw new Error(`write: ${res.status} ${JSON.stringify(res.body)}`);
        return res.body.data.qty;
      },
      read: async (kind, item, other) => {
        if (kind === 'id') return (await call(b.url, 'GET', `/api/items/${item.id}`, tenant.key)).body?.data?.qty;
        if (kind === 'sku') return (await call(b.url, 'GET', `/api/items/sku/${item.sku}`, tenant.key)).body?.data?.qty;
        const res = await call(b.url, 'POST', '/api/availability', tenant.key, {
          items: [{ item_id: other.id }, { item_id: item.id }],
        });
        return res.body?.data?.items[1].on_hand;
      },
    });
    console.log(
      `[cache] ${result.done} rounds over two built servers in ${result.ms} ms: ${result.stale.length} stale`,
    );
    expect(result.stale.slice(0, 5)).toEqual([]);
    expect(result.done).toBeGreaterThanOrEqual(ROUNDS);
    expect(await redis.client.keys('faults:*:item:*')).not.toEqual([]);
  }, 900_000);
});
