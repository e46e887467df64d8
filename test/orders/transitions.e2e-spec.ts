import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  auditOf,
  countQueries,
  expectUnchanged,
  newItem,
  newTenant,
  PREAMBLE_QUERIES,
  type TestTenant,
} from '../support/fixtures.js';
import { newWarehouse, putStockBySql, stockOf } from '../support/stock.js';
import { reservationStatus, sendWhileLapsed } from '../support/reservations.js';
import { ALLOWED, driveTo, getOrder, orderOf, STATUSES, transition, transitionOk } from '../support/orders.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

let t: TestApp;
let tenant: TestTenant;
beforeAll(async () => {
  t = await startTestApp({ ENABLE_CRON: 'false' });
  tenant = await newTenant(t);
});
afterAll(() => t.close());

describe('order state machine: every (from, to) pair over HTTP', () => {
  let itemId: string;
  beforeAll(async () => {
    itemId = (await newItem(t, tenant, { qty: 1000 })).id;
  });

  const pairs = STATUSES.flatMap((from) => STATUSES.map((to) => [from, to] as const));

  it.each(pairs)('%s -> %s', async (from, to) => {
    const order = await orderOf(t, tenant, itemId);
    await driveTo(t, tenant, order.id, from);

    if (ALLOWED[from].includes(to)) {
      const res = await transition(t, tenant, order.id, to).expect(200);
      expect(res.body.data).toMatchObject({ id: order.id, status: to });
      expect(res.body.data.history.at(-1)).toMatchObject({ from, to, actor: `api_key:${tenant.keyId}`, reason: null });
      expect((await getOrder(t, tenant, order.id)).status).toBe(to);
    } else {
      const res = await expectUnchanged(
        t,
        tenant,
        () => transition(t, tenant, order.id, to),
        400,
        'invalid_transition',
      );
      expect(res.body.details).toEqual([{ current_status: from, allowed: ALLOWED[from] }]);
    }
  });

  it('the path history of a delivered order is complete and final', async () => {
    const order = await orderOf(t, tenant, itemId);
    await driveTo(t, tenant, order.id, 'delivered');
    const got = await getOrder(t, tenant, order.id);
    expect(got.history!.map((h) => [h.from, h.to])).toEqual([
      [null, 'pending'],
      ['pending', 'confirmed'],
      ['confirmed', 'processing'],
      ['processing', 'shipped'],
      ['shipped', 'delivered'],
    ]);
  });

  it('rejects unknown targets and ids', async () => {
    const order = await orderOf(t, tenant, itemId);
    await expectUnchanged(t, tenant, () => transition(t, tenant, order.id, 'paid'), 400, 'validation_failed');
    await expectUnchanged(
      t,
      tenant,
      () => t.http.post(`/api/orders/${order.id}/transitions`).set(tenant.auth).send({ to: 'confirmed', x: 1 }),
      400,
      'validation_failed',
    );
    await expectUnchanged(
      t,
      tenant,
      () => transition(t, tenant, '00000000-0000-4000-8000-000000000000', 'confirmed'),
      404,
      'not_found',
    );
    await expectUnchanged(t, tenant, () => transition(t, tenant, 'not-a-uuid', 'confirmed'), 404, 'not_found');
  });
});

describe('stock effects of transitions', () => {
  it('confirm deducts per warehouse, cancel from confirmed restocks; audit has old and new quantities', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    const w1 = tenant.defaultWarehouseId;
    const w2 = (await newWarehouse(t, tenant, { priority: 1000 })).id; // allocated after the default warehouse
    await putStockBySql(t, tenant, item.id, w2, 5);

    const order = await orderOf(t, tenant, item.id, 6, 250);
    expect(order.total_amount).toBe(1500);
    expect([...order.lines].sort((a, b) => (a.warehouse_id < b.warehouse_id ? -1 : 1))).toEqual(
      [
        { item_id: item.id, warehouse_id: w1, quantity: 3, unit_price: 250, line_total: 750 },
        { item_id: item.id, warehouse_id: w2, quantity: 3, unit_price: 250, line_total: 750 },
      ].sort((a, b) => (a.warehouse_id < b.warehouse_id ? -1 : 1)),
    );
    expect(await stockOf(t, item.id)).toEqual({ [w1]: { on_hand: 3, reserved: 3 }, [w2]: { on_hand: 5, reserved: 3 } });

    await transitionOk(t, tenant, order.id, 'confirmed');
    expect(await stockOf(t, item.id)).toEqual({ [w1]: { on_hand: 0, reserved: 0 }, [w2]: { on_hand: 2, reserved: 0 } });
    expect(await reservationStatus(t, order.reservation_id)).toBe('committed');
    const deducted = await auditOf(t, tenant.id, 'stock.deducted', item.id);
    expect(deducted.map((a: any) => [a.old_value, a.new_value])).toEqual(
      expect.arrayContaining([
        [
          { warehouse_id: w1, on_hand: 3, reserved: 3 },
          { warehouse_id: w1, on_hand: 0, reserved: 0, quantity: 3, order_id: order.id },
        ],
        [
          { warehouse_id: w2, on_hand: 5, reserved: 3 },
          { warehouse_id: w2, on_hand: 2, reserved: 0, quantity: 3, order_id: order.id },
        ],
      ]),
    );
    expect(deducted).toHaveLength(2);
    expect(await auditOf(t, tenant.id, 'reservation.committed', order.reservation_id)).toEqual([
      expect.objectContaining({
        old_value: { status: 'active' },
        new_value: { status: 'committed', order_id: order.id },
      }),
    ]);
    expect(
      (await auditOf(t, tenant.id, 'order.status_changed', order.id)).map((a: any) => [a.old_value, a.new_value]),
    ).toEqual([[{ status: 'pending' }, { status: 'confirmed' }]]);

    await transitionOk(t, tenant, order.id, 'cancelled');
    expect(await stockOf(t, item.id)).toEqual({ [w1]: { on_hand: 3, reserved: 0 }, [w2]: { on_hand: 5, reserved: 0 } });
    expect(await reservationStatus(t, order.reservation_id)).toBe('committed');
    const restocked = await auditOf(t, tenant.id, 'stock.restocked', item.id);
    expect(restocked.map((a: any) => [a.old_value, a.new_value])).toEqual(
      expect.arrayContaining([
        [
          { warehouse_id: w1, on_hand: 0, reserved: 0 },
          { warehouse_id: w1, on_hand: 3, reserved: 0, quantity: 3, order_id: order.id },
        ],
        [
          { warehouse_id: w2, on_hand: 2, reserved: 0 },
          { warehouse_id: w2, on_hand: 5, reserved: 0, quantity: 3, order_id: order.id },
        ],
      ]),
    );
    expect(restocked).toHaveLength(2);
  });

  it('round trips: a confirm writes stock, reservation, status, history and audit rows in one statement', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    const w2 = (await newWarehouse(t, tenant, { priority: 1000 })).id;
    await putStockBySql(t, tenant, item.id, w2, 5);
    const order = await orderOf(t, tenant, item.id, 6);
    const queries = await countQueries(() => transitionOk(t, tenant, order.id, 'confirmed'));
    // The key lookup, BEGIN, the order, reservation, lines and stock rows locked or read,
    // one write, the order read back, COMMIT.
    expect(queries).toBeGreaterThanOrEqual(5 + PREAMBLE_QUERIES);
    expect(queries).toBeLessThanOrEqual(9 + PREAMBLE_QUERIES);
    expect(await stockOf(t, item.id)).toEqual({
      [tenant.defaultWarehouseId]: { on_hand: 0, reserved: 0 },
      [w2]: { on_hand: 2, reserved: 0 },
    });
    expect(await auditOf(t, tenant.id, 'stock.deducted', item.id)).toHaveLength(2);
  });

  it('processing/shipped/delivered do not move stock', async () => {
    const item = await newItem(t, tenant, { qty: 4 });
    const order = await orderOf(t, tenant, item.id, 4);
    await transitionOk(t, tenant, order.id, 'confirmed');
    const after = await stockOf(t, item.id);
    expect(after).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 0, reserved: 0 } });
    for (const to of ['processing', 'shipped', 'delivered']) {
      await transitionOk(t, tenant, order.id, to);
      expect(await stockOf(t, item.id)).toEqual(after);
    }
    expect(await reservationStatus(t, order.reservation_id)).toBe('committed');
  });

  it('cancel from pending releases the hold; on_hand untouched', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const order = await orderOf(t, tenant, item.id, 4);
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 10, reserved: 4 } });
    await transitionOk(t, tenant, order.id, 'cancelled');
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 10, reserved: 0 } });
    expect(await reservationStatus(t, order.reservation_id)).toBe('released');
    expect(await auditOf(t, tenant.id, 'stock.restocked', item.id)).toEqual([]);
    expect(await auditOf(t, tenant.id, 'stock.deducted', item.id)).toEqual([]);
    expect(
      (await auditOf(t, tenant.id, 'order.status_changed', order.id)).map((a: any) => [a.old_value, a.new_value]),
    ).toEqual([[{ status: 'pending' }, { status: 'cancelled' }]]);
  });

  it('confirming after the hold lapsed answers reservation_expired and cancels the order, units back', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const order = await orderOf(t, tenant, item.id, 5);
    const res = await sendWhileLapsed(t, order.reservation_id, () => transition(t, tenant, order.id, 'confirmed'));
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 400, error: 'reservation_expired' });
    const got = await getOrder(t, tenant, order.id);
    expect(got.status).toBe('cancelled');
    expect(got.history!.at(-1)).toMatchObject({ from: 'pending', to: 'cancelled', reason: 'reservation_expired' });
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 5, reserved: 0 } });
    expect(await reservationStatus(t, order.reservation_id)).toBe('expired');
    expect(await auditOf(t, tenant.id, 'stock.deducted', item.id)).toEqual([]);
    expect((await auditOf(t, tenant.id, 'order.status_changed', order.id)).map((a: any) => a.new_value)).toEqual([
      { status: 'cancelled', reason: 'reservation_expired' },
    ]);
    // The cancellation is final: a second confirm is an invalid transition, nothing moves.
    await expectUnchanged(t, tenant, () => transition(t, tenant, order.id, 'confirmed'), 400, 'invalid_transition');
  });

  it('cancelling a pending order whose hold lapsed (not yet swept) returns the units once', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const order = await orderOf(t, tenant, item.id, 5);
    const res = await sendWhileLapsed(t, order.reservation_id, () => transition(t, tenant, order.id, 'cancelled'));
    expect(res.status).toBe(200);
    expect(res.body.data.history.at(-1)).toMatchObject({
      from: 'pending',
      to: 'cancelled',
      actor: `api_key:${tenant.keyId}`,
    });
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 5, reserved: 0 } });
    expect(await reservationStatus(t, order.reservation_id)).toBe('expired');
  });
});
