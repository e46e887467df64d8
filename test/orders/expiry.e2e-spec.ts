import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditOf, expectUnchanged, newItem, newTenant, snapshot, type TestTenant } from '../support/fixtures.js';
import { stockOf } from '../support/stock.js';
import { lapse, reservationStatus, reserveOk, sweep } from '../support/reservations.js';
import { createOrderOk, getOrder, orderOf, transition, transitionOk } from '../support/orders.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
let tenant: TestTenant;
beforeAll(async () => {
  t = await startTestApp({ ENABLE_CRON: 'false' });
  tenant = await newTenant(t);
});
afterAll(() => t.close());

async function expectCancelledBySystem(orderId: string) {
  const order = await getOrder(t, tenant, orderId);
  expect(order.status).toBe('cancelled');
  expect(order.history!.map(({ from, to, actor, reason }) => ({ from, to, actor, reason }))).toEqual([
    { from: null, to: 'pending', actor: `api_key:${tenant.keyId}`, reason: null },
    { from: 'pending', to: 'cancelled', actor: 'system', reason: 'reservation_expired' },
  ]);
  expect(await auditOf(t, tenant.id, 'order.status_changed', orderId)).toEqual([
    expect.objectContaining({
      actor: 'system',
      old_value: { status: 'pending' },
      new_value: { status: 'cancelled', reason: 'reservation_expired' },
    }),
  ]);
  expect(await reservationStatus(t, order.reservation_id)).toBe('expired');
}

describe('orders and the reservation sweeper', () => {
  it('cancels pending orders whose hold lapsed (own or taken-over reservation); units return; live ones stay', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const own = await orderOf(t, tenant, item.id, 3);
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 2 }] });
    const taken = await createOrderOk(t, tenant, {
      currency: 'EUR',
      reservation_id: r.id,
      prices: [{ item_id: item.id, unit_price: 1 }],
    });
    const live = await orderOf(t, tenant, item.id, 4);
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 10, reserved: 9 } });

    await lapse(t, own.reservation_id);
    await lapse(t, r.id);
    await sweep(t); // (a sweeper of another test worker may get there first: same outcome)

    await expectCancelledBySystem(own.id);
    await expectCancelledBySystem(taken.id);
    expect((await getOrder(t, tenant, live.id)).status).toBe('pending');
    expect(await reservationStatus(t, live.reservation_id)).toBe('active');
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 10, reserved: 4 } });

    // Final: a late confirm is refused and changes nothing; a second sweep does nothing to it.
    await expectUnchanged(t, tenant, () => transition(t, tenant, own.id, 'confirmed'), 400, 'invalid_transition');
    const before = await snapshot(t, tenant.id);
    await sweep(t);
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });

  it("leaves confirmed (committed), cancelled and delivered orders' reservations alone", async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const confirmed = await orderOf(t, tenant, item.id, 2);
    await transitionOk(t, tenant, confirmed.id, 'confirmed');
    const delivered = await orderOf(t, tenant, item.id, 1);
    for (const to of ['confirmed', 'processing', 'shipped', 'delivered'])
      await transitionOk(t, tenant, delivered.id, to);
    const cancelled = await orderOf(t, tenant, item.id, 1);
    await transitionOk(t, tenant, cancelled.id, 'cancelled');
    for (const o of [confirmed, delivered, cancelled]) await lapse(t, o.reservation_id);

    const before = await snapshot(t, tenant.id);
    await sweep(t);
    expect(await snapshot(t, tenant.id)).toEqual(before);
    expect(await reservationStatus(t, confirmed.reservation_id)).toBe('committed');
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 7, reserved: 0 } });
  });

  it('a new order short of stock expires the lapsed hold inline and cancels its pending order', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const old = await orderOf(t, tenant, item.id, 5);
    await lapse(t, old.reservation_id);
    const fresh = await orderOf(t, tenant, item.id, 5);
    expect(fresh.status).toBe('pending');
    await expectCancelledBySystem(old.id);
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 5, reserved: 5 } });
  });

  it('sweeper racing a confirm or a cancel: the units come back exactly once, one cancellation', async () => {
    const item = await newItem(t, tenant, { qty: 20 });
    for (const to of ['confirmed', 'cancelled', 'confirmed', 'cancelled']) {
      const order = await orderOf(t, tenant, item.id, 5);
      await lapse(t, order.reservation_id);
      const [res] = await Promise.all([transition(t, tenant, order.id, to), sweep(t)]);
      const expectedCodes =
        to === 'confirmed' ? ['400 reservation_expired', '400 invalid_transition'] : ['200', '400 invalid_transition'];
      expect(expectedCodes).toContain(res.status === 200 ? '200' : `${res.status} ${res.body.error}`);
      const got = await getOrder(t, tenant, order.id);
      expect(got.status).toBe('cancelled');
      expect(got.history!.filter((h) => h.to === 'cancelled')).toHaveLength(1);
      expect(await reservationStatus(t, order.reservation_id)).toBe('expired');
      expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 20, reserved: 0 } });
    }
  });
});
