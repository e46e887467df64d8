import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { auditOf, newItem, newTenant, tally } from '../support/fixtures.js';
import { ledgerCheckOf } from '../support/ledger.js';
import { createOrder, getOrder, orderOf, type OrderData, transition } from '../support/orders.js';
import { assertInvariant, reservationStatus, sendWhileLapsed } from '../support/reservations.js';
import { lockStock, releaseStockLocks, stockOf } from '../support/stock.js';
import { until } from '../support/util.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { ReservationBatcher } from '../../src/reservations/reservation-batcher.js';
import { OrderTransitionBatcher } from '../../src/orders/order-transition-batcher.js';

/**
 * Group-committed orders: creations with lines and transitions of a tenant that
 * arrive together are decided in one transaction each batch, every request on
 * its own. A flash sale on one hot item: never oversold, every answer its own.
 */
let t: TestApp;
/** Requests handed to the batchers so far: a test unlocks the rows once all of its requests queue. */
const submitted = { holds: 0, transitions: 0 };
const submitHolds = ReservationBatcher.prototype.submitWith;
const submitTransition = OrderTransitionBatcher.prototype.submit;
beforeAll(async () => {
  ReservationBatcher.prototype.submitWith = function (this: ReservationBatcher, ...args) {
    submitted.holds++;
    return submitHolds.apply(this, args);
  } as typeof submitHolds;
  OrderTransitionBatcher.prototype.submit = function (this: OrderTransitionBatcher, job) {
    submitted.transitions++;
    return submitTransition.call(this, job);
  };
  t = await startTestApp({ ENABLE_CRON: 'false' });
});
afterEach(() => releaseStockLocks());
afterAll(async () => {
  ReservationBatcher.prototype.submitWith = submitHolds;
  OrderTransitionBatcher.prototype.submit = submitTransition;
  await t.close();
});

/** Waits until `count` more requests than `from` were handed to a batcher. */
const queued = (kind: keyof typeof submitted, from: number, count: number) =>
  until(async () => submitted[kind] >= from + count);

/** Waits until the tenant's requests have all left the fresh lane (those on a locked row wait in its lane). */
const leftFreshLane = (tenantId: string) => {
  const fresh = (t.app.get(ReservationBatcher) as unknown as { fresh: { has(key: string): boolean } }).fresh;
  return until(async () => !fresh.has(tenantId));
};

const line = (item_id: string, quantity = 1, unit_price = 100) => ({ item_id, quantity, unit_price });
const body = (...lines: object[]) => ({ currency: 'EUR', lines });

/** How many transactions wrote these orders' history rows to `to` (rows written by one transaction share its xmin). */
async function transactionsOf(orderIds: string[], to: string): Promise<number> {
  const [row] = await t.db.query(
    `SELECT count(DISTINCT xmin::text)::int AS n FROM order_status_history WHERE order_id = ANY($1::uuid[]) AND to_status = $2`,
    [orderIds, to],
  );
  return row.n;
}

/** Counts of what a tenant owns of orders and holds. */
async function rowsOf(tenantId: string): Promise<Record<string, number>> {
  const [row] = await t.db.query(
    `SELECT (SELECT count(*) FROM orders WHERE tenant_id = $1)::int AS orders,
            (SELECT count(*) FROM order_line WHERE tenant_id = $1)::int AS order_lines,
            (SELECT count(*) FROM order_status_history WHERE tenant_id = $1)::int AS history,
            (SELECT count(*) FROM reservation WHERE tenant_id = $1)::int AS reservations,
            (SELECT count(*) FROM stock_movement WHERE tenant_id = $1 AND type = 'reserved')::int AS reserved_movements,
            (SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action IN ('order.created', 'reservation.created'))::int AS audit`,
    [tenantId],
  );
  return row;
}

/**
 * Sends requests one after the other, each once the one before is queued in the
 * batcher (or answered, if it never gets there: `queues` false); answers once the
 * last is sent, with all of their answers to come.
 */
async function inOrder(
  sends: [send: () => PromiseLike<Response>, queues: boolean][],
): Promise<() => Promise<Response[]>> {
  const pending: Promise<Response>[] = [];
  for (const [send, queues] of sends) {
    const from = submitted.holds;
    const response = Promise.resolve(send());
    pending.push(response);
    await (queues ? queued('holds', from, 1) : response);
  }
  return () => Promise.all(pending);
}

describe('a flash sale: concurrent orders on one hot item', () => {
  it('never oversold: exactly the stock succeeds, the rest 400 insufficient_stock; each answer is its own order', async () => {
    const tenant = await newTenant(t);
    const hot = await newItem(t, tenant, { qty: 25 });
    const res = await Promise.all(
      Array.from({ length: 80 }, (_, i) =>
        createOrder(t, tenant, { ...body(line(hot.id, 1, 100 + i)), customer_ref: `c-${i}` }),
      ),
    );
    expect(tally(res)).toEqual({ '201': 25, '400 insufficient_stock': 55 });
    expect(await stockOf(t, hot.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 25, reserved: 25 } });
    const made = res.filter((r) => r.status === 201);
    for (const r of made) {
      const i = res.indexOf(r);
      const order: OrderData = r.body.data;
      // What a batch answers is what was written.
      expect(await getOrder(t, tenant, order.id)).toEqual(order);
      expect(order).toMatchObject({ status: 'pending', customer_ref: `c-${i}`, total_amount: 100 + i });
      expect(await reservationStatus(t, order.reservation_id)).toBe('active');
      expect(await auditOf(t, tenant.id, 'order.created', order.id)).toHaveLength(1);
    }
    expect(new Set(made.map((r) => r.body.data.reservation_id)).size).toBe(25);
    expect(await rowsOf(tenant.id)).toMatchObject({ orders: 25, order_lines: 25, history: 25, reservations: 25 });
    await assertInvariant(t, tenant.id);
  });

  it('orders that queue behind a locked stock row are decided together, in arrival order, in one transaction', async () => {
    const tenant = await newTenant(t);
    const hot = await newItem(t, tenant, { qty: 6 });
    const unlock = await lockStock(hot.id);
    const from = submitted.holds;
    const pending = Promise.all(Array.from({ length: 10 }, () => createOrder(t, tenant, body(line(hot.id)))));
    await queued('holds', from, 10);
    await leftFreshLane(tenant.id);
    await unlock();
    const res = await pending;
    expect(tally(res)).toEqual({ '201': 6, '400 insufficient_stock': 4 });
    const ids = res.filter((r) => r.status === 201).map((r) => r.body.data.id);
    // One request per transaction would be 6; batches make it a few.
    expect(await transactionsOf(ids, 'pending')).toBeLessThanOrEqual(3);
    await assertInvariant(t, tenant.id);
  });

  it('a mixed batch: each request decided on its own; the refused ones leave no rows, and take no units', async () => {
    const tenant = await newTenant(t);
    const hot = await newItem(t, tenant, { qty: 6 });
    const unlock = await lockStock(hot.id);
    const answers = await inOrder([
      // The first waits for the lock alone; those after it queue for the next batch.
      [() => createOrder(t, tenant, body(line(hot.id, 1))), true],
      [() => createOrder(t, tenant, body(line(hot.id, 2))), true],
      // Its 2 units would leave too few for the 3 after it: a refused request takes none.
      [() => createOrder(t, tenant, body(line(hot.id, 2, Number.MAX_SAFE_INTEGER))), true],
      [() => createOrder(t, tenant, body(line(randomUUID()), line(hot.id))), true],
      // Refused before it is batched (two prices for one item).
      [() => createOrder(t, tenant, body(line(hot.id, 1, 100), line(hot.id, 1, 200))), false],
      [() => createOrder(t, tenant, body(line(hot.id, 3))), true],
      [() => createOrder(t, tenant, body(line(hot.id, 1))), true],
    ]);
    await leftFreshLane(tenant.id);
    await unlock();
    const res = await answers();
    expect(res.map((r) => [r.status, r.body.error])).toEqual([
      [201, undefined],
      [201, undefined],
      [400, 'amount_out_of_range'],
      [404, 'not_found'],
      [400, 'validation_failed'],
      [201, undefined],
      [400, 'insufficient_stock'],
    ]);
    expect(res[3]!.body.details).toEqual([{ item_id: expect.any(String) }]);
    const ids = [res[1]!, res[5]!].map((r) => r.body.data.id as string);
    expect(await transactionsOf(ids, 'pending')).toBe(1);
    // Only the three orders' rows: their orders, lines, history, holds, movements and audit rows.
    expect(await rowsOf(tenant.id)).toEqual({
      orders: 3,
      order_lines: 3,
      history: 3,
      reservations: 3,
      reserved_movements: 3,
      audit: 6,
    });
    expect(await stockOf(t, hot.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 6, reserved: 6 } });
    await assertInvariant(t, tenant.id);
  });

  it('concurrent mixed requests: every kind answered as alone', async () => {
    const tenant = await newTenant(t);
    // The 10 single units always fit, and leave 2 whatever the batches: the refused amounts take none.
    const hot = await newItem(t, tenant, { qty: 12 });
    const kinds = [
      { send: () => body(line(hot.id)), answer: '201' },
      { send: () => body(line(hot.id, 1, 100), line(hot.id, 1, 200)), answer: '400 validation_failed' },
      { send: () => body(line(hot.id, 2, Number.MAX_SAFE_INTEGER)), answer: '400 amount_out_of_range' },
      { send: () => body(line(randomUUID())), answer: '404 not_found' },
      { send: () => body(line(hot.id, 13)), answer: '400 insufficient_stock' },
    ];
    const sent = Array.from({ length: 10 }, () => kinds).flat();
    const res = await Promise.all(sent.map((k) => createOrder(t, tenant, k.send())));
    expect(res.map((r) => (r.status < 300 ? String(r.status) : `${r.status} ${r.body.error}`))).toEqual(
      sent.map((k) => k.answer),
    );
    expect(await rowsOf(tenant.id)).toMatchObject({ orders: 10, reservations: 10 });
    expect(await stockOf(t, hot.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 12, reserved: 10 } });
    await assertInvariant(t, tenant.id);
  });
});

describe('batched transitions', () => {
  it('concurrent confirms and cancels of many orders: each moved once, the stock counts each saw are serial', async () => {
    const tenant = await newTenant(t);
    const hot = await newItem(t, tenant, { qty: 30 });
    const orders = await Promise.all(Array.from({ length: 30 }, () => orderOf(t, tenant, hot.id)));
    const unlock = await lockStock(hot.id);
    const from = submitted.transitions;
    const pending = Promise.all(
      orders.flatMap((o, i) => [
        transition(t, tenant, o.id, i < 24 ? 'confirmed' : 'cancelled'),
        // A second confirm of some: one of the two moves the order, the other finds it moved.
        ...(i % 10 === 0 ? [transition(t, tenant, o.id, 'confirmed')] : []),
      ]),
    );
    await queued('transitions', from, 33);
    await unlock();
    const res = await pending;
    expect(tally(res)).toEqual({ '200': 30, '400 invalid_transition': 3 });
    expect(await stockOf(t, hot.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 6, reserved: 0 } });
    for (const [i, o] of orders.entries()) {
      const order = await getOrder(t, tenant, o.id);
      expect(order.status).toBe(i < 24 ? 'confirmed' : 'cancelled');
      expect(order.history).toHaveLength(2);
      expect(await reservationStatus(t, o.reservation_id)).toBe(i < 24 ? 'committed' : 'released');
    }
    // Each deduction's audit row saw the counts the one before left: 30 -> 29 -> ... on hand, one unit each.
    const deducted: { old_value: { on_hand: number } }[] = await auditOf(t, tenant.id, 'stock.deducted');
    const before = deducted.map((a) => a.old_value.on_hand).sort((a, b) => b - a);
    expect(before).toEqual(Array.from({ length: 24 }, (_, i) => 30 - i));
    // One transaction per confirm would be 24.
    expect(
      await transactionsOf(
        orders.slice(0, 24).map((o) => o.id),
        'confirmed',
      ),
    ).toBeLessThanOrEqual(3);
    await assertInvariant(t, tenant.id);
    expect((await ledgerCheckOf(t, tenant.id)).problems).toEqual([]);
  });

  it('a transition waiting for a row locked elsewhere does not hold up the transitions of other orders', async () => {
    const tenant = await newTenant(t);
    const [busy, free] = await Promise.all([newItem(t, tenant, { qty: 5 }), newItem(t, tenant, { qty: 5 })]);
    const [stuck, other] = await Promise.all([orderOf(t, tenant, busy.id), orderOf(t, tenant, free.id)]);
    const unlock = await lockStock(busy.id);
    const from = submitted.transitions;
    let stuckDone = false;
    const waiting = Promise.resolve(transition(t, tenant, stuck.id, 'confirmed')).then((res) => {
      stuckDone = true;
      return res;
    });
    await queued('transitions', from, 1);
    // Its batch waits for the lock; a batch of the other order runs beside it and is answered meanwhile.
    await transition(t, tenant, other.id, 'confirmed').expect(200);
    expect(stuckDone).toBe(false);
    await unlock();
    expect((await waiting).status).toBe(200);
    await assertInvariant(t, tenant.id);
  });

  it('a confirm that finds its hold lapsed, in a batch: that order is cancelled and answers reservation_expired, the others confirm', async () => {
    const tenant = await newTenant(t);
    const hot = await newItem(t, tenant, { qty: 10 });
    const orders = await Promise.all(Array.from({ length: 4 }, () => orderOf(t, tenant, hot.id)));
    const lapsed = orders[1]!;
    let all: Promise<Response[]> | undefined;
    await sendWhileLapsed(t, lapsed.reservation_id, () => {
      all = Promise.all(orders.map((o) => transition(t, tenant, o.id, 'confirmed')));
      return all.then((r) => r[1]!);
    });
    const res = await all!;
    expect(res.map((r) => [r.status, r.body.error])).toEqual([
      [200, undefined],
      [400, 'reservation_expired'],
      [200, undefined],
      [200, undefined],
    ]);
    const cancelled = await getOrder(t, tenant, lapsed.id);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.history!.at(-1)).toMatchObject({
      from: 'pending',
      to: 'cancelled',
      reason: 'reservation_expired',
    });
    expect(await reservationStatus(t, lapsed.reservation_id)).toBe('expired');
    expect(await stockOf(t, hot.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 7, reserved: 0 } });
    await assertInvariant(t, tenant.id);
  });
});
