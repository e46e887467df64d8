import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { newKey } from '../support/api-keys.js';
import { adjustQty, expectError, newItem, newTenant, updateItem, type TestTenant } from '../support/fixtures.js';
import { orderOf, transitionOk } from '../support/orders.js';
import { type PrivateRedis, redisSuite, startRedis } from '../support/redis.js';
import { release, reserveOk, sweep } from '../support/reservations.js';
import { newWarehouse, updateWarehouse } from '../support/stock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { sleep } from '../support/util.js';

// The read cache on a private redis-server: `cached` (REDIS_URL set) answers every
// read exactly as `plain` (no Redis, same database) does, after every kind of write,
// and a read after a write never shows the value from before it. Writes go through
// `cached` only: an instance without REDIS_URL invalidates nothing (every instance of
// a deployment shares one configuration).

const PREFIX = `test:${randomUUID().slice(0, 8)}:`;

redisSuite(describe, 'test/cache/read-cache')('read cache (Redis)', () => {
  let redis: PrivateRedis;
  let cached: TestApp;
  let plain: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    redis = await startRedis();
    [cached, plain] = await Promise.all([
      startTestApp({ REDIS_URL: redis.url, REDIS_KEY_PREFIX: PREFIX, REDIS_COMMAND_TIMEOUT_MS: '200' }),
      startTestApp(),
    ]);
    tenant = await newTenant(cached);
    await waitUsable(cached);
  });
  afterAll(async () => {
    await Promise.all([cached?.close(), plain?.close()]);
    await redis?.stop();
  });

  const get = (t: TestApp, path: string) => t.http.get(path).set(tenant.auth);
  const post = (t: TestApp, path: string, body: object) => t.http.post(path).set(tenant.auth).send(body);
  const entryKey = (itemId: string) => `${PREFIX}item:${tenant.id}:${itemId}`;

  /** Reads `path` from both (GET, or POST with `body`): same status and data; returns the cached answer. */
  async function same(path: string, body?: object) {
    const read = (t: TestApp) => (body ? post(t, path, body) : get(t, path));
    const first = await read(cached);
    const second = await read(cached); // a hit when the first was a miss
    const reference = await read(plain);
    expect({ status: first.status, data: first.body.data, error: first.body.error }).toEqual({
      status: reference.status,
      data: reference.body.data,
      error: reference.body.error,
    });
    expect({ status: second.status, data: second.body.data }).toEqual({
      status: reference.status,
      data: reference.body.data,
    });
    return first;
  }

  /** All three reads of an item (by id, by SKU, availability), each compared with the uncached instance. */
  async function allReadsSame(item: { id: string; sku?: string | null }) {
    const byId = await same(`/api/items/${item.id}`);
    if (item.sku) await same(`/api/items/sku/${item.sku}`);
    await same('/api/availability', { items: [{ item_id: item.id }, ...(item.sku ? [{ sku: item.sku }] : [])] });
    return byId.body.data;
  }

  it('a read fills the cache, the next one is served from it, with the same answer', async () => {
    const item = await newItem(cached, tenant, { sku: `C-${randomUUID().slice(0, 8).toUpperCase()}`, qty: 7 });
    expect(await redis.client.exists(entryKey(item.id))).toBe(0);
    const data = await allReadsSame(item);
    expect(data.qty).toBe(7);
    expect(await redis.client.exists(entryKey(item.id))).toBe(1);
    // Served from Redis: an entry changed behind the service's back shows (never done by the service itself).
    const raw = JSON.parse((await redis.client.get(entryKey(item.id)))!);
    raw.view.name = 'from-the-cache';
    await redis.client.set(entryKey(item.id), JSON.stringify(raw));
    expect((await get(cached, `/api/items/${item.id}`).expect(200)).body.data.name).toBe('from-the-cache');
    await redis.client.del(entryKey(item.id));
  });

  it('every kind of write invalidates: each read right after it answers as the database does', async () => {
    const sku = `W-${randomUUID().slice(0, 8).toUpperCase()}`;
    const item = await newItem(cached, tenant, { sku, qty: 20 });
    const second = await newWarehouse(cached, tenant, { priority: 5 });
    const check = async (expected: Partial<Record<'qty' | 'reserved' | 'available', number>>, s = sku) => {
      const data = await allReadsSame({ id: item.id, sku: s });
      expect(data).toMatchObject(expected);
      return data;
    };
    await check({ qty: 20, reserved: 0 });

    await adjustQty(cached, tenant, item.id, { delta: -3 }).expect(200);
    await check({ qty: 17, available: 17 });

    const hold = await reserveOk(cached, tenant, { lines: [{ item_id: item.id, quantity: 4 }] });
    await check({ qty: 17, reserved: 4, available: 13 });
    await release(cached, tenant, hold.id).expect(200);
    await check({ reserved: 0, available: 17 });

    const order = await orderOf(cached, tenant, item.id, 2);
    await check({ reserved: 2 });
    await transitionOk(cached, tenant, order.id, 'confirmed');
    await check({ qty: 15, reserved: 0 });
    const cancelled = await orderOf(cached, tenant, item.id, 3);
    await check({ qty: 15, reserved: 3 });
    await transitionOk(cached, tenant, cancelled.id, 'cancelled');
    await check({ qty: 15, reserved: 0 });

    await post(cached, '/api/stock/adjustments', {
      lines: [{ item_id: item.id, warehouse_id: second.id, delta: 5 }],
    }).expect((res) => expect([200, 201]).toContain(res.status));
    const withSecond = await check({ qty: 20 });
    expect(withSecond.stock.map((s: { warehouse_code: string }) => s.warehouse_code)).toHaveLength(2);

    // A warehouse's priority orders every item's stock: a change shows at once.
    await updateWarehouse(cached, tenant, second.id, { priority: 0 }).expect(200);
    const reordered = await check({ qty: 20 });
    expect(reordered.stock.map((s: { warehouse_id: string }) => s.warehouse_id)).toEqual(
      [...withSecond.stock].reverse().map((s: { warehouse_id: string }) => s.warehouse_id),
    );

    // PATCH of the SKU: the old one names nothing, the new one the item, at once.
    const newSku = `${sku}-B`;
    await updateItem(cached, tenant, item.id, { sku: newSku, reorder_point: 50 }).expect(200);
    expectError(await same(`/api/items/sku/${sku}`), 404, 'not_found');
    expect((await check({ qty: 20 }, newSku)).low_stock).toBe(true);
    // The old SKU taken by another item: its cached pointer must not answer with the first.
    const other = await newItem(cached, tenant, { sku, qty: 1 });
    expect((await same(`/api/items/sku/${sku}`)).body.data.id).toBe(other.id);

    await cached.http.delete(`/api/items/${other.id}`).set(tenant.auth).expect(204);
    expectError(await same(`/api/items/${other.id}`), 404, 'not_found');
    expectError(await same(`/api/items/sku/${sku}`), 404, 'not_found');
  });

  it('a hold that lapses (no write) stops counting at once, and the sweeper invalidates its expiry', async () => {
    const item = await newItem(cached, tenant, { qty: 5 });
    await reserveOk(cached, tenant, { lines: [{ item_id: item.id, quantity: 2 }], ttl_seconds: 2 });
    expect(await allReadsSame(item)).toMatchObject({ reserved: 2, available: 3 });
    await sleep(2100);
    expect(await allReadsSame(item)).toMatchObject({ reserved: 0, available: 5 });
    const before = await redis.client.get(`${PREFIX}iv:${item.id}`);
    expect(await sweep(cached)).toBeGreaterThanOrEqual(1);
    expect(await redis.client.get(`${PREFIX}iv:${item.id}`)).not.toBe(before);
    expect(await allReadsSame(item)).toMatchObject({ reserved: 0, available: 5 });
  });

  it('availability: up to 500 items in one call, by id or SKU, unknown ones 404 each listed, 400 for bad input', async () => {
    const items = await Promise.all(
      Array.from({ length: 5 }, (_, i) =>
        newItem(cached, tenant, { sku: `A-${randomUUID().slice(0, 8).toUpperCase()}`, qty: i }),
      ),
    );
    const refs = items.flatMap((it) => [{ item_id: it.id }, { sku: it.sku! }]);
    const res = await same('/api/availability', { items: refs });
    expect(res.status).toBe(200);
    expect(res.body.data.items).toHaveLength(10);
    expect(res.body.data.items[3]).toMatchObject({
      item_id: items[1]!.id,
      sku: items[1]!.sku,
      on_hand: 1,
      available: 1,
    });
    expect(res.body.data.items[3].warehouses).toEqual([
      expect.objectContaining({ warehouse_id: tenant.defaultWarehouseId, on_hand: 1, reserved: 0, available: 1 }),
    ]);

    const missingId = randomUUID();
    const unknown = await same('/api/availability', {
      items: [{ item_id: items[0]!.id }, { item_id: missingId }, { sku: 'NOPE-1' }],
    });
    expectError(unknown, 404, 'not_found');
    expect(unknown.body.details).toEqual([
      { field: 'items.1.item_id', message: `unknown item_id ${missingId}`, item_id: missingId },
      { field: 'items.2.sku', message: 'unknown sku NOPE-1', sku: 'NOPE-1' },
    ]);
    // Another tenant's item is unknown too.
    const stranger = await newTenant(cached);
    const theirs = await newItem(cached, stranger, { qty: 1 });
    expectError(await post(cached, '/api/availability', { items: [{ item_id: theirs.id }] }), 404, 'not_found');

    for (const body of [
      {},
      { items: [] },
      { items: [{}] },
      { items: [{ item_id: items[0]!.id, sku: items[0]!.sku }] },
      { items: [{ item_id: 'not-a-uuid' }] },
      { items: [{ sku: 5 }] },
      { items: [{ item_id: items[0]!.id }], extra: 1 },
      { items: Array.from({ length: 501 }, () => ({ item_id: items[0]!.id })) },
    ]) {
      expectError(await post(cached, '/api/availability', body), 400, 'validation_failed');
    }
    const many = await post(cached, '/api/availability', {
      items: Array.from({ length: 500 }, (_, i) => ({ item_id: items[i % 5]!.id })),
    }).expect(200);
    expect(many.body.data.items).toHaveLength(500);

    const writer = await newKey(cached, tenant, { scopes: ['orders:read'] });
    const refused = await cached.http
      .post('/api/availability')
      .set(writer.auth)
      .send({ items: [{ item_id: items[0]!.id }] });
    expectError(refused, 403, 'insufficient_scope');
  });

  it('Redis frozen, then killed, under load: reads go to the database and stay right; the cache is used again once it is back', async () => {
    const item = await newItem(cached, tenant, { qty: 100 });
    await allReadsSame(item);
    let expectedQty = 100;
    let stop = false;
    const failures: string[] = [];
    // Readers, and one writer that checks each write's value is read back right after its response.
    const reader = async () => {
      while (!stop) {
        const res = await get(cached, `/api/items/${item.id}`);
        if (res.status !== 200) failures.push(`read ${res.status}`);
      }
    };
    const writer = async () => {
      while (!stop) {
        const res = await adjustQty(cached, tenant, item.id, { delta: -1 });
        if (res.status !== 200) {
          failures.push(`write ${res.status}`);
          continue;
        }
        expectedQty--;
        const read = await get(cached, `/api/items/${item.id}`);
        if (read.body.data?.qty !== expectedQty) failures.push(`stale: ${read.body.data?.qty} after ${expectedQty}`);
      }
    };
    const load = Promise.all([reader(), reader(), writer()]);
    await sleep(300);
    // Frozen first: commands time out while Redis keeps its entries (the invalidations of the writes meanwhile fail).
    redis.freeze();
    await sleep(700);
    redis.thaw();
    await waitUsable(cached);
    await sleep(300);
    await redis.kill();
    await sleep(700);
    await redis.restart();
    await waitUsable(cached);
    await sleep(300);
    stop = true;
    await load;
    expect(failures).toEqual([]);
    expect(expectedQty).toBeLessThan(100);
    // Back: a read fills the (empty) Redis again.
    await allReadsSame(item);
    expect(await redis.client.exists(entryKey(item.id))).toBe(1);
    expect((await get(cached, `/api/items/${item.id}`)).body.data.qty).toBe(expectedQty);
  });
});

/** Until the instance's Redis connection is ready (and no invalidation is left to repair). */
async function waitUsable(t: TestApp): Promise<void> {
  const { ItemCache } = await import('../../src/cache/item-cache.js');
  const cache = t.app.get(ItemCache);
  for (let i = 0; !cache.usable; i++) {
    if (i > 200) throw new Error('the cache never became usable');
    await sleep(25);
  }
}
