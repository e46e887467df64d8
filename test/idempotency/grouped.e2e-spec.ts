import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { newItem, newTenant, snapshot, tally, type TestTenant, updateItem } from '../support/fixtures.js';
import { assertInvariant } from '../support/reservations.js';
import { lockStock, releaseStockLocks } from '../support/stock.js';
import { sleep } from '../support/util.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Reservations with an Idempotency-Key are group-committed: the batch's
 * transaction claims each key, holds the stock and stores each response, so
 * keyed requests share a transaction (and a hot row's lock) like the others,
 * with the same guarantee: a retry replays, never performs twice.
 */
describe('Idempotency-Key reservations in batches', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false', DB_LOCK_TIMEOUT_MS: '3000' });
    tenant = await newTenant(t);
  });
  afterEach(() => releaseStockLocks());
  afterAll(() => t.close());

  const reserve = (key: string, body: object) =>
    t.http.post('/api/reservations').set(tenant.auth).set('Idempotency-Key', key).send(body);

  /** The stored rows of `keys`: status and body, or null while claimed only. */
  const storedOf = async (keys: string[]) =>
    t.db.query<{ key: string; response_status: number | null; response_body: unknown }[]>(
      'SELECT key, response_status, response_body FROM idempotency_key WHERE tenant_id = $1 AND key = ANY($2) ORDER BY key',
      [tenant.id, keys],
    );

  it('64 parallel keyed requests on one item share transactions, and every key replays its own response', async () => {
    const item = await newItem(t, tenant, { qty: 40 });
    const ref = randomUUID();
    const keys = Array.from({ length: 64 }, () => randomUUID());
    const first = await Promise.all(
      keys.map((key) => reserve(key, { lines: [{ item_id: item.id, quantity: 1 }], reference: ref })),
    );
    expect(tally(first)).toEqual({ '201': 40, '400 insufficient_stock': 24 });
    // Fewer transactions than requests: the reservations were written in batches.
    const [{ transactions }] = await t.db.query<{ transactions: number }[]>(
      'SELECT count(DISTINCT xmin::text)::int AS transactions FROM reservation WHERE tenant_id = $1 AND reference = $2',
      [tenant.id, ref],
    );
    expect(transactions).toBeLessThan(40);
    // Each key stored exactly what its client received, refusals included.
    const stored = new Map((await storedOf(keys)).map((r) => [r.key, r]));
    keys.forEach((key, i) => {
      expect(stored.get(key)?.response_status).toBe(first[i]!.status);
      expect(stored.get(key)?.response_body).toEqual(first[i]!.body);
    });
    const before = await snapshot(t, tenant.id);
    const again = await Promise.all(
      keys.map((key) => reserve(key, { lines: [{ item_id: item.id, quantity: 1 }], reference: ref })),
    );
    again.forEach((res, i) => {
      expect(res.status).toBe(first[i]!.status);
      expect(res.headers['idempotent-replayed']).toBe('true');
      expect(res.body).toEqual(first[i]!.body);
    });
    expect(await snapshot(t, tenant.id)).toEqual(before);
    await assertInvariant(t, tenant.id);
  });

  it('a key reused for another request in a batch is 422, and its neighbours are decided as ever', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const reused = randomUUID();
    await reserve(reused, { lines: [{ item_id: item.id, quantity: 1 }] }).expect(201);
    const others = Array.from({ length: 8 }, () => randomUUID());
    const [wrong, ...rest] = await Promise.all([
      reserve(reused, { lines: [{ item_id: item.id, quantity: 2 }] }),
      ...others.map((key) => reserve(key, { lines: [{ item_id: item.id, quantity: 1 }] })),
    ]);
    expect([wrong!.status, wrong!.body.error]).toEqual([422, 'idempotency_key_reused']);
    expect(tally(rest)).toEqual({ '201': 8 });
    const [row] = await t.db.query<{ reserved: number }[]>('SELECT reserved FROM stock WHERE item_id = $1', [item.id]);
    expect(row!.reserved).toBe(9);
  });

  it('the same key twice at once: one performs, the other is 409 or its replay, and one reservation exists', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const key = randomUUID();
    const body = { lines: [{ item_id: item.id, quantity: 1 }], reference: key };
    const responses = await Promise.all([reserve(key, body), reserve(key, body), reserve(key, body)]);
    for (const r of responses) expect([201, 409]).toContain(r.status);
    const ok = responses.filter((r) => r.status === 201);
    for (const r of ok) expect(r.body).toEqual(ok[0]!.body);
    const rows = await t.db.query('SELECT id FROM reservation WHERE tenant_id = $1 AND reference = $2', [
      tenant.id,
      key,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('a keyed request that waits for a locked row keeps no claim meanwhile, then holds once and stores its response', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const key = randomUUID();
    const unlock = await lockStock(item.id);
    const pending = reserve(key, { lines: [{ item_id: item.id, quantity: 2 }], reference: key });
    await sleep(300);
    // Contended: it left the fresh batch, whose transaction gave its claim up, and waits in a lane of its own.
    expect(await storedOf([key])).toEqual([]);
    await unlock();
    const res = await pending;
    expect(res.status).toBe(201);
    const [stored] = await storedOf([key]);
    expect([stored!.response_status, stored!.response_body]).toEqual([201, res.body]);
    const replay = await reserve(key, { lines: [{ item_id: item.id, quantity: 2 }], reference: key });
    expect([replay.status, replay.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(replay.body).toEqual(res.body);
    await assertInvariant(t, tenant.id);
  });

  it('a retry whose SKU is gone since replays the first response instead of answering 404', async () => {
    const sku = `SKU-${randomUUID().slice(0, 8).toUpperCase()}`;
    const item = await newItem(t, tenant, { qty: 5, sku });
    const key = randomUUID();
    const body = { lines: [{ sku, quantity: 1 }] };
    const first = await reserve(key, body).expect(201);
    await updateItem(t, tenant, item.id, { sku: `${sku}-X` }).expect(200);
    const again = await reserve(key, body);
    expect([again.status, again.headers['idempotent-replayed']]).toEqual([201, 'true']);
    expect(again.body).toEqual(first.body);
    // A new key with the gone SKU is a 404, stored and replayed as such.
    const other = randomUUID();
    const missing = await reserve(other, body);
    expect([missing.status, missing.body.error]).toEqual([404, 'not_found']);
    const replayed = await reserve(other, body);
    expect([replayed.status, replayed.headers['idempotent-replayed']]).toEqual([404, 'true']);
  });
});
