import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { Response } from 'supertest';
import { type ItemData, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import {
  addStock,
  assertInvariant,
  lapse,
  newWarehouse,
  rawStatus,
  reserve,
  reserveOk,
  sleep,
  stockRow,
  sweep,
} from '../support/reservation-fixtures.js';
import { orderOf, transition } from '../support/order-fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// Longer than PostgreSQL's deadlock_timeout (1 s), so that a deadlock would be detected before a lock wait times out.
const LOCK_TIMEOUT_MS = 2500;

/**
 * Reservations while rows are locked by someone else (a second PostgreSQL session,
 * as an operator's psql or a long transaction would): lapsed holds are freed
 * without deadlocks, a blocked request fails alone and within its own lock wait,
 * and the sweeper neither waits nor spins.
 */
describe('reservations under lock contention', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const holders: pg.Client[] = [];

  beforeAll(async () => {
    t = await startTestApp({ DB_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS) });
    tenant = await newTenant(t);
  });
  afterEach(async () => {
    await Promise.all(holders.splice(0).map((c) => c.end().catch(() => undefined)));
  });
  afterAll(() => t.close());

  /** A session outside the app holding the stock rows of `itemId` FOR UPDATE until the returned function runs. */
  async function holdStock(itemId: string): Promise<() => Promise<void>> {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    holders.push(client);
    await client.connect();
    await client.query('BEGIN');
    await client.query('SELECT 1 FROM stock WHERE item_id = $1 FOR UPDATE', [itemId]);
    return async () => {
      await client.query('ROLLBACK');
    };
  }

  /** Starts a request now and records when it was answered. */
  function timed(send: () => PromiseLike<Response>) {
    const started = Date.now();
    return Promise.resolve(send()).then((res) => ({ res, at: Date.now(), ms: Date.now() - started }));
  }

  it('freeing a lapsed hold while another request waits on a row that appeared meanwhile: no deadlock, no 500', async () => {
    // Warehouse w0 must sort before the default warehouse, so that its new stock row comes first in the lock order.
    const defaultId = (await t.http.get('/api/warehouses').set(tenant.auth).expect(200)).body.data.find(
      (w: { is_default: boolean }) => w.is_default,
    ).id as string;
    let w0 = await newWarehouse(t, tenant);
    while (w0.id > defaultId) w0 = await newWarehouse(t, tenant);
    // A sorts before B, so that the request locks (A, default) and then waits on B.
    const [a, b] = (await Promise.all([newItem(t, tenant), newItem(t, tenant)])).sort((x, y) => (x.id < y.id ? -1 : 1)) as [
      ItemData,
      ItemData,
    ];
    await addStock(t, tenant, a.id, 5);
    await addStock(t, tenant, b.id, 1);
    const lapsed = await reserveOk(t, tenant, { lines: [{ item_id: a.id, quantity: 3 }] });
    await lapse(t, lapsed.id);

    const releaseB = await holdStock(b.id);
    // A:5 is short unless the lapsed hold of 3 is freed; the request locks (A, default) and waits on B.
    const big = timed(() => reserve(t, tenant, { lines: [{ item_id: a.id, quantity: 5 }, { item_id: b.id, quantity: 1 }] }));
    await sleep(200);
    // Meanwhile (A, w0) is created, and a request in a transaction of its own locks it and waits for (A, default).
    await addStock(t, tenant, a.id, 1, w0.id);
    const small = timed(() =>
      reserve(t, tenant, { lines: [{ item_id: a.id, quantity: 1 }] }).set('Idempotency-Key', `small-${a.id}`),
    );
    await sleep(200);
    await releaseB();

    const [first, second] = await Promise.all([big, small]);
    expect([first.res.status, first.res.body.error]).toEqual([201, undefined]);
    expect([second.res.status, second.res.body.error]).toEqual([201, undefined]);
    expect(await rawStatus(t, lapsed.id)).toBe('expired');
    expect(await stockRow(t, a.id, defaultId)).toEqual({ on_hand: 5, reserved: 5 });
    expect(await stockRow(t, a.id, w0.id)).toEqual({ on_hand: 1, reserved: 1 });
    await assertInvariant(t, tenant.id);
  });

  it('a request on a locked row fails alone, within its own lock wait; a request on a free item does not wait for it', async () => {
    const x = await newItem(t, tenant, { qty: 5 });
    const y = await newItem(t, tenant, { qty: 5 });
    const releaseX = await holdStock(x.id);
    try {
      const firstX = timed(() => reserve(t, tenant, { lines: [{ item_id: x.id, quantity: 1 }] }));
      await sleep(50);
      const freeY = timed(() => reserve(t, tenant, { lines: [{ item_id: y.id, quantity: 1 }] }));
      const y1 = await freeY;
      const x1 = await firstX;
      expect(y1.res.status).toBe(201);
      expect(x1.res.status).toBe(503);
      expect(x1.res.body.error).toBe('service_unavailable');
      // The free item was answered while the blocked one was still waiting.
      expect(y1.at).toBeLessThan(x1.at);
      expect(x1.ms).toBeGreaterThanOrEqual(LOCK_TIMEOUT_MS - 50);

      // The next request on X waits its own lock timeout, not the remainder of a queue.
      const [secondX, secondY] = await Promise.all([
        timed(() => reserve(t, tenant, { lines: [{ item_id: x.id, quantity: 1 }] })),
        timed(() => reserve(t, tenant, { lines: [{ item_id: y.id, quantity: 1 }] })),
      ]);
      expect(secondX.res.status).toBe(503);
      expect(secondX.ms).toBeLessThan(2 * LOCK_TIMEOUT_MS);
      expect(secondY.res.status).toBe(201);
      expect(secondY.at).toBeLessThan(secondX.at);
    } finally {
      await releaseX();
    }
    await reserve(t, tenant, { lines: [{ item_id: x.id, quantity: 1 }] }).expect(201);
    expect(await stockRow(t, x.id, x.stock[0]!.warehouse_id)).toEqual({ on_hand: 5, reserved: 1 });
    await assertInvariant(t, tenant.id);
  });

  it('many requests of one tenant on a locked item and on free items: only those on the locked item fail', async () => {
    const x = await newItem(t, tenant, { qty: 50 });
    const free = await Promise.all([1, 2, 3, 4].map(() => newItem(t, tenant, { qty: 50 })));
    const releaseX = await holdStock(x.id);
    let results: { res: Response; ms: number }[];
    try {
      results = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          timed(() => reserve(t, tenant, { lines: [{ item_id: i % 5 === 0 ? x.id : free[i % 4]!.id, quantity: 1 }] })),
        ),
      );
    } finally {
      await releaseX();
    }
    const statuses = results.map((r, i) => `${i % 5 === 0 ? 'x' : 'free'} ${r.res.status}`);
    expect(statuses.filter((s) => s.startsWith('free')).every((s) => s === 'free 201')).toBe(true);
    expect(statuses.filter((s) => s.startsWith('x')).every((s) => s === 'x 503')).toBe(true);
    for (const r of results) expect(r.ms).toBeLessThan(2 * LOCK_TIMEOUT_MS);
    await assertInvariant(t, tenant.id);
  });

  it('a deadlock with another session is run again, not answered 500', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const order = await orderOf(t, tenant, item.id, 2);
    const other = new pg.Client({ connectionString: process.env.DATABASE_URL });
    holders.push(other);
    await other.connect();
    await other.query('BEGIN');
    await other.query('SELECT 1 FROM stock WHERE item_id = $1 FOR UPDATE', [item.id]);
    // The confirm locks the order, then waits for the stock row; the other session then wants the order: a cycle.
    const confirm = timed(() => transition(t, tenant, order.id, 'confirmed'));
    await sleep(200);
    await other.query('SELECT 1 FROM orders WHERE id = $1 FOR UPDATE', [order.id]);
    await other.query('ROLLBACK');
    const { res } = await confirm;
    expect([res.status, res.body.error]).toEqual([200, undefined]);
    expect(res.body.data.status).toBe('confirmed');
    expect(await stockRow(t, item.id, item.stock[0]!.warehouse_id)).toEqual({ on_hand: 3, reserved: 0 });
    await assertInvariant(t, tenant.id);
  });

  it('the sweeper leaves holds on rows locked elsewhere without waiting or spinning, and expires the others', async () => {
    const x = await newItem(t, tenant, { qty: 5 });
    const y = await newItem(t, tenant, { qty: 5 });
    const onX = await Promise.all([1, 2, 3].map(() => reserveOk(t, tenant, { lines: [{ item_id: x.id, quantity: 1 }] })));
    const onY = await reserveOk(t, tenant, { lines: [{ item_id: y.id, quantity: 1 }] });
    // The holds on X expire first, so that they are claimed first.
    await lapse(t, onX.map((r) => r.id));
    await sleep(20);
    await lapse(t, onY.id);
    const releaseX = await holdStock(x.id);
    try {
      const swept = await Promise.race([sweep(t, 1), sleep(LOCK_TIMEOUT_MS / 2).then(() => 'still waiting')]);
      expect(swept).toBe(1);
      expect(await rawStatus(t, onY.id)).toBe('expired');
      for (const r of onX) expect(await rawStatus(t, r.id)).toBe('active');
    } finally {
      await releaseX();
    }
    expect(await sweep(t, 1)).toBe(3);
    for (const r of onX) expect(await rawStatus(t, r.id)).toBe('expired');
    await assertInvariant(t, tenant.id);
  });
});

/**
 * A batch of several requests, formed deterministically: with every connection
 * of a small pool busy elsewhere, the first request waits for one in a batch of
 * its own while the next ones queue up together behind it.
 */
describe('freeing lapsed holds inside a batch', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    // Keys are remembered, so that requests reach the batcher without a query.
    t = await startTestApp({ DB_POOL_SIZE: '2', AUTH_CACHE_TTL_MS: '300000' });
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  /** Sends the requests in this order as one batch (after a first request that occupies the batcher). */
  async function inOneBatch(bodies: object[]): Promise<Response[]> {
    const filler = await newItem(t, tenant, { qty: 1 });
    const runners = [t.db.createQueryRunner(), t.db.createQueryRunner()];
    for (const runner of runners) await runner.connect(); // every connection of the pool
    const first = reserve(t, tenant, { lines: [{ item_id: filler.id, quantity: 1 }] }).then((r) => r);
    await sleep(100);
    const queued: Promise<Response>[] = [];
    for (const body of bodies) {
      queued.push(reserve(t, tenant, body).then((r) => r));
      await sleep(50);
    }
    for (const runner of runners) await runner.release();
    expect((await first).status).toBe(201);
    return Promise.all(queued);
  }

  it('the freeing is kept when it lets an earlier request through, even if it crowds out a later one', async () => {
    const x = await newItem(t, tenant, { qty: 5 });
    const lapsed = await reserveOk(t, tenant, { lines: [{ item_id: x.id, quantity: 3 }] });
    await lapse(t, lapsed.id);
    const [big, small] = await inOneBatch([
      { lines: [{ item_id: x.id, quantity: 5 }] },
      { lines: [{ item_id: x.id, quantity: 2 }] },
    ]);
    expect([big!.status, small!.status]).toEqual([201, 400]);
    expect(small!.body.details).toEqual([expect.objectContaining({ item_id: x.id, requested: 2, available: 0 })]);
    expect(await rawStatus(t, lapsed.id)).toBe('expired');
    await assertInvariant(t, tenant.id);
  });

  it('the freeing is undone when no refused request gets through', async () => {
    const x = await newItem(t, tenant, { qty: 5 });
    const lapsed = await reserveOk(t, tenant, { lines: [{ item_id: x.id, quantity: 3 }] });
    await lapse(t, lapsed.id);
    const [ok, tooBig] = await inOneBatch([
      { lines: [{ item_id: x.id, quantity: 2 }] },
      { lines: [{ item_id: x.id, quantity: 9 }] },
    ]);
    expect([ok!.status, tooBig!.status]).toEqual([201, 400]);
    expect(await rawStatus(t, lapsed.id)).toBe('active');
    await assertInvariant(t, tenant.id);
  });
});
