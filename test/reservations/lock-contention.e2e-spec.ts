import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import type { Response } from 'supertest';
import { type ItemData, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { addStock, lockStock, newWarehouse, releaseStockLocks, stockRow } from '../support/stock.js';
import { assertInvariant, lapse, reservationStatus, reserve, reserveOk, sweep } from '../support/reservations.js';
import { orderOf, transition } from '../support/orders.js';
import { sleep, until } from '../support/util.js';
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
    await releaseStockLocks();
    await Promise.all(holders.splice(0).map((c) => c.end().catch(() => undefined)));
  });
  afterAll(() => t.close());

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
    const [a, b] = (await Promise.all([newItem(t, tenant), newItem(t, tenant)])).sort((x, y) =>
      x.id < y.id ? -1 : 1,
    ) as [ItemData, ItemData];
    await addStock(t, tenant, a.id, 5);
    await addStock(t, tenant, b.id, 1);
    const lapsed = await reserveOk(t, tenant, { lines: [{ item_id: a.id, quantity: 3 }] });
    await lapse(t, lapsed.id);

    const releaseB = await lockStock(b.id);
    // A:5 is short unless the lapsed hold of 3 is freed; the request locks (A, default) and waits on B.
    const big = timed(() =>
      reserve(t, tenant, {
        lines: [
          { item_id: a.id, quantity: 5 },
          { item_id: b.id, quantity: 1 },
        ],
      }),
    );
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
    expect(await reservationStatus(t, lapsed.id)).toBe('expired');
    expect(await stockRow(t, a.id, defaultId)).toEqual({ on_hand: 5, reserved: 5 });
    expect(await stockRow(t, a.id, w0.id)).toEqual({ on_hand: 1, reserved: 1 });
    await assertInvariant(t, tenant.id);
  });

  it('a request on a locked row fails alone, within its own lock wait; a request on a free item does not wait for it', async () => {
    const x = await newItem(t, tenant, { qty: 5 });
    const y = await newItem(t, tenant, { qty: 5 });
    const releaseX = await lockStock(x.id);
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
    const releaseX = await lockStock(x.id);
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

  it('a request on an item locked for a moment does not wait behind requests waiting on another item', async () => {
    const x = await newItem(t, tenant, { qty: 5 });
    const w = await newItem(t, tenant, { qty: 5 });
    const releaseX = await lockStock(x.id);
    try {
      const onX = timed(() => reserve(t, tenant, { lines: [{ item_id: x.id, quantity: 1 }] }));
      await sleep(100);
      const releaseW = await lockStock(w.id);
      const onW = timed(() => reserve(t, tenant, { lines: [{ item_id: w.id, quantity: 1 }] }));
      await sleep(150);
      await releaseW();
      await sleep(100);
      const onFreeW = timed(() => reserve(t, tenant, { lines: [{ item_id: w.id, quantity: 1 }] }));
      const [x1, w1, w2] = await Promise.all([onX, onW, onFreeW]);
      expect([x1.res.status, w1.res.status, w2.res.status]).toEqual([503, 201, 201]);
      expect(w1.at).toBeLessThan(x1.at - LOCK_TIMEOUT_MS / 2);
      expect(w2.at).toBeLessThan(x1.at - LOCK_TIMEOUT_MS / 2);
    } finally {
      await releaseX();
    }
    await assertInvariant(t, tenant.id);
  });

  it('the lock waits of one request add up to no more than DB_LOCK_TIMEOUT_MS', async () => {
    const [x, y] = (await Promise.all([newItem(t, tenant, { qty: 5 }), newItem(t, tenant, { qty: 5 })])).sort((a, b) =>
      a.id < b.id ? -1 : 1,
    ) as [ItemData, ItemData];
    const releaseX = await lockStock(x.id);
    const releaseY = await lockStock(y.id);
    // Each row alone is released within the lock timeout, the second only after it has passed in all.
    const both = timed(() =>
      reserve(t, tenant, {
        lines: [
          { item_id: x.id, quantity: 1 },
          { item_id: y.id, quantity: 1 },
        ],
      }),
    );
    await sleep(LOCK_TIMEOUT_MS * 0.6);
    await releaseX();
    await sleep(LOCK_TIMEOUT_MS * 0.8);
    await releaseY();
    const { res, ms } = await both;
    expect([res.status, res.body.error]).toEqual([503, 'service_unavailable']);
    expect(ms).toBeLessThan(LOCK_TIMEOUT_MS + 1000);
    expect(await stockRow(t, x.id, x.stock[0]!.warehouse_id)).toEqual({ on_hand: 5, reserved: 0 });
    await assertInvariant(t, tenant.id);
  });

  it('a refusal reports what is available without lapsed holds, as item reads do', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const held = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    await lapse(t, held.id);
    const read = await t.http.get(`/api/items/${item.id}`).set(tenant.auth).expect(200);
    expect(read.body.data.available).toBe(2);
    const refused = await reserve(t, tenant, { lines: [{ item_id: item.id, quantity: 5 }] });
    expect(refused.status).toBe(400);
    expect(refused.body.details).toEqual([expect.objectContaining({ item_id: item.id, requested: 5, available: 2 })]);
    expect(await reservationStatus(t, held.id)).toBe('active');
    await sweep(t); // not to leave a lapsed hold to the sweeper test below
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
    // Once the confirm waits for the stock row (a fixed sleep was not always enough on a loaded
    // machine: then the other session waited first and was the one the deadlock check ended).
    const [{ pid }] = (await other.query('SELECT pg_backend_pid() AS pid')).rows;
    await until(async () => {
      const [{ n }] = await t.db.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [pid],
      );
      return n > 0;
    });
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
    const onX = await Promise.all(
      [1, 2, 3].map(() => reserveOk(t, tenant, { lines: [{ item_id: x.id, quantity: 1 }] })),
    );
    const onY = await reserveOk(t, tenant, { lines: [{ item_id: y.id, quantity: 1 }] });
    // The holds on X expire first, so that they are claimed first.
    await lapse(
      t,
      onX.map((r) => r.id),
    );
    await sleep(20);
    await lapse(t, onY.id);
    const releaseX = await lockStock(x.id);
    try {
      const swept = await Promise.race([sweep(t, 1), sleep(LOCK_TIMEOUT_MS / 2).then(() => 'still waiting')]);
      expect(swept).toBe(1);
      expect(await reservationStatus(t, onY.id)).toBe('expired');
      for (const r of onX) expect(await reservationStatus(t, r.id)).toBe('active');
    } finally {
      await releaseX();
    }
    expect(await sweep(t, 1)).toBe(3);
    for (const r of onX) expect(await reservationStatus(t, r.id)).toBe('expired');
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
    expect(await reservationStatus(t, lapsed.id)).toBe('expired');
    await assertInvariant(t, tenant.id);
  });

  it('a later request does not overtake an earlier one on a shared item while the earlier one waits for a lock', async () => {
    const x = await newItem(t, tenant, { qty: 5 });
    const y = await newItem(t, tenant, { qty: 5 });
    const holder = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT 1 FROM stock WHERE item_id = $1 FOR UPDATE', [x.id]);
      const done = inOneBatch([
        {
          lines: [
            { item_id: x.id, quantity: 1 },
            { item_id: y.id, quantity: 5 },
          ],
        },
        { lines: [{ item_id: y.id, quantity: 5 }] },
      ]);
      await sleep(600);
      await holder.query('ROLLBACK');
      const [first, second] = await done;
      expect([first!.status, second!.status]).toEqual([201, 400]);
    } finally {
      await holder.end();
    }
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
    expect(await reservationStatus(t, lapsed.id)).toBe('active');
    await assertInvariant(t, tenant.id);
  });
});
