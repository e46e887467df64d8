import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adjustQty, expectUnchanged, newItem, newTenant, tally, type TestTenant } from '../support/fixtures.js';
import { newWarehouse, putStockBySql, stockOf } from '../support/stock.js';
import { driveTo, orderOf, transitionOk } from '../support/orders.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const MAX = 2_147_483_647;

/**
 * Units out on confirmed or processing orders keep their room in the integer
 * column: an adjustment that would leave no room for them to come back is
 * refused, so cancelling a confirmed order always fits (issue 11, defect 6).
 */
describe('restock headroom', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it('the defect: filling the column while an order is confirmed is refused, and the cancel restocks', async () => {
    const item = await newItem(t, tenant, { qty: MAX - 1_000_000 });
    const order = await orderOf(t, tenant, item.id, 5);
    await transitionOk(t, tenant, order.id, 'confirmed');
    // on_hand is MAX - 1,000,005: this would take it to the limit, with 5 units still out.
    const res = await expectUnchanged(
      t,
      tenant,
      () => adjustQty(t, tenant, item.id, { delta: 1_000_005 }),
      400,
      'quantity_out_of_range',
    );
    expect(res.body.message).toBe(
      `qty cannot exceed ${MAX}, counting the 5 units out on confirmed or processing orders`,
    );
    expect(res.body.details).toEqual([
      { warehouse_id: tenant.defaultWarehouseId, on_hand: MAX - 1_000_005, delta: 1_000_005, outstanding: 5, max: MAX },
    ]);

    await transitionOk(t, tenant, order.id, 'cancelled');
    expect(await stockOf(t, item.id)).toEqual({
      [tenant.defaultWarehouseId]: { on_hand: MAX - 1_000_000, reserved: 0 },
    });
  });

  it('accepts up to the limit minus the units out, refuses one more; the cancel then fills the column exactly', async () => {
    const item = await newItem(t, tenant, { qty: MAX - 100 });
    const order = await orderOf(t, tenant, item.id, 4);
    await transitionOk(t, tenant, order.id, 'confirmed');
    await adjustQty(t, tenant, item.id, { delta: 100 }).expect(200); // on_hand MAX - 4, 4 out
    await expectUnchanged(t, tenant, () => adjustQty(t, tenant, item.id, { delta: 1 }), 400, 'quantity_out_of_range');
    await transitionOk(t, tenant, order.id, 'cancelled');
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: MAX, reserved: 0 } });
    await expectUnchanged(t, tenant, () => adjustQty(t, tenant, item.id, { delta: 1 }), 400, 'quantity_out_of_range');
  });

  it.each<['pending' | 'processing' | 'shipped', number]>([
    ['pending', 0], // still in on_hand, as reserved units
    ['processing', 3],
    ['shipped', 0], // gone for good
  ])('units of a %s order count as out: %d', async (status, outstanding) => {
    const item = await newItem(t, tenant, { qty: MAX - 10 });
    const order = await orderOf(t, tenant, item.id, 3);
    await driveTo(t, tenant, order.id, status);
    const onHand = status === 'pending' ? MAX - 10 : MAX - 13;
    await adjustQty(t, tenant, item.id, { delta: MAX - onHand - outstanding }).expect(200);
    await expectUnchanged(t, tenant, () => adjustQty(t, tenant, item.id, { delta: 1 }), 400, 'quantity_out_of_range');
  });

  it('counts the units out per stock row: an order from another warehouse leaves this one alone', async () => {
    const item = await newItem(t, tenant, { qty: 0 });
    const w2 = (await newWarehouse(t, tenant, { priority: 1000 })).id;
    await putStockBySql(t, tenant, item.id, w2, 10);
    const order = await orderOf(t, tenant, item.id, 10); // all from w2
    await transitionOk(t, tenant, order.id, 'confirmed');
    const fill = async (warehouseId: string, room: number) => {
      for (let left = room; left > 0; left -= Math.min(left, 1_000_000_000)) {
        await adjustQty(t, tenant, item.id, { delta: Math.min(left, 1_000_000_000), warehouse_id: warehouseId }).expect(
          200,
        );
      }
      await expectUnchanged(
        t,
        tenant,
        () => adjustQty(t, tenant, item.id, { delta: 1, warehouse_id: warehouseId }),
        400,
        'quantity_out_of_range',
      );
    };
    await fill(tenant.defaultWarehouseId, MAX); // nothing out from here
    await fill(w2, MAX - 10); // 10 out
    await transitionOk(t, tenant, order.id, 'cancelled');
    expect(await stockOf(t, item.id)).toEqual({
      [tenant.defaultWarehouseId]: { on_hand: MAX, reserved: 0 },
      [w2]: { on_hand: MAX, reserved: 0 },
    });
  });

  /**
   * Confirms move units from on_hand to "out" while adjustments race for the
   * remaining room: the room an adjustment sees must count every confirm that
   * committed before it, or a later cancel would not fit.
   */
  it('parallel confirms and adjustments near the limit: exactly the room is used, every cancel fits', async () => {
    const item = await newItem(t, tenant, { qty: MAX - 50 });
    const orders = [];
    for (let i = 0; i < 10; i++) orders.push(await orderOf(t, tenant, item.id, 5));
    const [confirms, adjusts] = await Promise.all([
      Promise.all(
        orders.map((o) => t.http.post(`/api/orders/${o.id}/transitions`).set(tenant.auth).send({ to: 'confirmed' })),
      ),
      Promise.all(Array.from({ length: 20 }, () => adjustQty(t, tenant, item.id, { delta: 5 }))),
    ]);
    expect(tally(confirms)).toEqual({ '200': 10 });
    expect(tally(adjusts)).toEqual({ '200': 10, '400 quantity_out_of_range': 10 });
    for (const o of orders) await transitionOk(t, tenant, o.id, 'cancelled');
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: MAX, reserved: 0 } });
  });
});
