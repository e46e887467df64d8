import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { newItem, newTenant, tally, type TestTenant } from '../support/fixtures.js';
import { newWarehouse, putStockBySql, stockOf } from '../support/stock.js';
import { reserveOk } from '../support/reservations.js';
import { createOrder, getOrder, orderOf, transition } from '../support/orders.js';
import { prng } from '../support/util.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
let tenant: TestTenant;
beforeAll(async () => {
  t = await startTestApp({ ENABLE_CRON: 'false' });
  tenant = await newTenant(t);
});
afterAll(() => t.close());

/** Σ of the lines of the tenant's raw-active reservations, per item. */
async function heldBy(itemId: string): Promise<number> {
  const [row] = await t.db.query(
    `SELECT COALESCE(sum(l.quantity), 0)::int AS held FROM reservation_line l JOIN reservation r ON r.id = l.reservation_id
     WHERE l.item_id = $1 AND r.status = 'active'`,
    [itemId],
  );
  return row.held;
}

describe('racing transitions on one order', () => {
  it('two confirms: exactly one 200, units deducted once', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    for (let round = 0; round < 3; round++) {
      const order = await orderOf(t, tenant, item.id, 1);
      const res = await Promise.all([
        transition(t, tenant, order.id, 'confirmed'),
        transition(t, tenant, order.id, 'confirmed'),
      ]);
      expect(tally(res)).toEqual({ '200': 1, '400 invalid_transition': 1 });
    }
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 2, reserved: 0 } });
  });

  it('two cancels: exactly one 200, the hold released once', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const other = await orderOf(t, tenant, item.id, 2); // stays pending: reserved must stay 2
    for (let round = 0; round < 3; round++) {
      const order = await orderOf(t, tenant, item.id, 3);
      const res = await Promise.all([
        transition(t, tenant, order.id, 'cancelled'),
        transition(t, tenant, order.id, 'cancelled'),
      ]);
      expect(tally(res)).toEqual({ '200': 1, '400 invalid_transition': 1 });
      expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 5, reserved: 2 } });
    }
    expect((await getOrder(t, tenant, other.id)).status).toBe('pending');
  });

  // confirmed -> cancelled is allowed, so "confirm then cancel" may both succeed:
  // what must hold is that the outcome is one of the two serial orders.
  it('confirm vs cancel: the outcome is one of the two serial orders; stock ends where it began', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    for (let round = 0; round < 4; round++) {
      const order = await orderOf(t, tenant, item.id, 2);
      const [confirm, cancel] = await Promise.all([
        transition(t, tenant, order.id, 'confirmed'),
        transition(t, tenant, order.id, 'cancelled'),
      ]);
      expect(cancel.status).toBe(200);
      const history = (await getOrder(t, tenant, order.id)).history!.map((h) => h.to);
      if (confirm.status === 200) {
        expect(history).toEqual(['pending', 'confirmed', 'cancelled']);
      } else {
        expect({ status: confirm.status, error: confirm.body.error }).toEqual({
          status: 400,
          error: 'invalid_transition',
        });
        expect(history).toEqual(['pending', 'cancelled']);
      }
      expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 5, reserved: 0 } });
    }
  });
});

describe('many orders on one item', () => {
  it('30 orders confirming and cancelling in parallel keep on_hand and reserved exact, no 500s', async () => {
    const initial = 120;
    const item = await newItem(t, tenant, { qty: initial });
    const random = prng(42);
    // Creations race too: these 30 orders want 150 units, so some are refused.
    const quantities = Array.from({ length: 30 }, () => 1 + Math.floor(random() * 10));
    expect(quantities.reduce((a, b) => a + b)).toBeGreaterThan(initial);
    const created = await Promise.all(
      quantities.map((q) =>
        createOrder(t, tenant, { currency: 'EUR', lines: [{ item_id: item.id, quantity: q, unit_price: 1 }] }),
      ),
    );
    const counts = tally(created);
    expect(Object.keys(counts).sort()).toEqual(['201', '400 insufficient_stock']);
    const orders = created
      .filter((r) => r.status === 201)
      .map((r) => r.body.data as { id: string; total_amount: number });
    expect(orders.reduce((sum, o) => sum + o.total_amount, 0)).toBeLessThanOrEqual(initial);

    // Each order: confirm, cancel, confirm + cancel at once, confirm then cancel racing a second confirm, or nothing.
    const requests: PromiseLike<Response>[] = [];
    for (const o of orders) {
      const pick = Math.floor(random() * 5);
      if (pick === 0 || pick === 2 || pick === 3) requests.push(transition(t, tenant, o.id, 'confirmed'));
      if (pick === 1 || pick === 2) requests.push(transition(t, tenant, o.id, 'cancelled'));
      if (pick === 3) requests.push(transition(t, tenant, o.id, 'confirmed'));
    }
    const results = await Promise.all(requests);
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    expect(Object.keys(tally(results)).every((k) => k === '200' || k === '400 invalid_transition')).toBe(true);

    const finals = await Promise.all(orders.map((o) => getOrder(t, tenant, o.id)));
    const confirmedUnits = finals.filter((o) => o.status === 'confirmed').reduce((sum, o) => sum + o.total_amount, 0);
    expect(finals.some((o) => o.status === 'confirmed')).toBe(true);
    expect(finals.some((o) => o.status === 'cancelled')).toBe(true);
    expect(finals.some((o) => o.status === 'pending')).toBe(true);
    const [row] = Object.values(await stockOf(t, item.id));
    expect(row).toEqual({ on_hand: initial - confirmedUnits, reserved: await heldBy(item.id) });
    const pendingUnits = finals.filter((o) => o.status === 'pending').reduce((sum, o) => sum + o.total_amount, 0);
    expect(row!.reserved).toBe(pendingUnits);
  });
});

describe('orders over two items and two warehouses', () => {
  it('lines in either order, created, confirmed and cancelled in parallel: no deadlock, no 5xx, stock exact', async () => {
    const [x, y] = [await newItem(t, tenant, { qty: 40 }), await newItem(t, tenant, { qty: 40 })];
    const w2 = (await newWarehouse(t, tenant, { priority: 1000 })).id;
    await putStockBySql(t, tenant, x.id, w2, 40);
    await putStockBySql(t, tenant, y.id, w2, 40);
    const random = prng(7);
    const line = (id: string) => ({ item_id: id, quantity: 1 + Math.floor(random() * 4), unit_price: 1 }); // 16 × 4 < 80: all fit
    const bodies = Array.from({ length: 16 }, (_, i) => ({
      currency: 'EUR',
      lines: i % 2 ? [line(x.id), line(y.id)] : [line(y.id), line(x.id)],
    }));
    const first = await Promise.all(bodies.slice(0, 8).map((body) => createOrder(t, tenant, body)));
    expect(tally(first)).toEqual({ '201': 8 });
    const ids = first.map((r) => r.body.data.id as string);
    // The second half is created while the first half is confirmed or cancelled.
    const results = await Promise.all([
      ...bodies.slice(8).map((body) => createOrder(t, tenant, body)),
      ...ids.map((id, i) => transition(t, tenant, id, i % 3 === 2 ? 'cancelled' : 'confirmed')),
    ]);
    expect(results.filter((r) => r.status >= 500)).toEqual([]);
    expect(Object.keys(tally(results)).sort()).toEqual(['200', '201']);

    const finals = await Promise.all(
      results
        .filter((r) => r.status === 201)
        .map((r) => r.body.data.id)
        .concat(ids)
        .map((id) => getOrder(t, tenant, id)),
    );
    for (const item of [x, y]) {
      const lines = (status: string) =>
        finals
          .filter((o) => o.status === status)
          .flatMap((o) => o.lines)
          .filter((l) => l.item_id === item.id);
      const stock = await stockOf(t, item.id);
      const sum = (rows: { on_hand: number; reserved: number }[], key: 'on_hand' | 'reserved') =>
        rows.reduce((s, r) => s + r[key], 0);
      expect(sum(Object.values(stock), 'on_hand')).toBe(80 - lines('confirmed').reduce((s, l) => s + l.quantity, 0));
      expect(sum(Object.values(stock), 'reserved')).toBe(lines('pending').reduce((s, l) => s + l.quantity, 0));
      for (const [warehouse, row] of Object.entries(stock)) {
        const held = lines('pending')
          .filter((l) => l.warehouse_id === warehouse)
          .reduce((s, l) => s + l.quantity, 0);
        expect(row.reserved).toBe(held);
      }
      expect(sum(Object.values(stock), 'reserved')).toBe(await heldBy(item.id));
    }
  });
});

describe('racing for one reservation', () => {
  it('two orders taking over the same reservation: exactly one 201, the other reservation_in_use', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    for (let round = 0; round < 5; round++) {
      const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
      const body = { currency: 'EUR', reservation_id: r.id, prices: [{ item_id: item.id, unit_price: 3 }] };
      const res = await Promise.all([createOrder(t, tenant, body), createOrder(t, tenant, body)]);
      expect(tally(res)).toEqual({ '201': 1, '400 reservation_in_use': 1 });
      const [count] = await t.db.query('SELECT count(*)::int AS n FROM orders WHERE reservation_id = $1', [r.id]);
      expect(count.n).toBe(1);
    }
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 10, reserved: 5 } });
  });
});
