import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { auditOf, expectUnchanged, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { orderOf, transitionOk } from '../support/orders.js';
import { assertInvariant, lapse, reservationStatus, reserveOk } from '../support/reservations.js';
import { newWarehouse, putStockBySql, stockOf } from '../support/stock.js';
import { movementsOf, transferStock } from '../support/stock-operations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const MAX = 2_147_483_647;

describe('POST /api/stock/transfers', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let from: string;
  let to: string;
  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
    from = tenant.defaultWarehouseId;
    to = (await newWarehouse(t, tenant)).id;
  });
  afterAll(async () => {
    await assertInvariant(t, tenant.id);
    await t.close();
  });

  const body = (item_id: string, quantity: number, extra: object = {}) => ({
    item_id,
    from_warehouse_id: from,
    to_warehouse_id: to,
    quantity,
    ...extra,
  });

  it('moves units, creating the destination row; two movements under one generated reference; audited', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const res = await transferStock(t, tenant, body(item.id, 4, { reason: 'rebalance' })).expect(200);
    const { reference } = res.body.data;
    expect(reference).toMatch(/^transfer:[0-9a-f-]{36}$/);
    expect(res.body.data).toEqual({
      reference,
      item_id: item.id,
      quantity: 4,
      from: { warehouse_id: from, on_hand: 6, reserved: 0, available: 6 },
      to: { warehouse_id: to, on_hand: 4, reserved: 0, available: 4 },
    });
    expect(await stockOf(t, item.id)).toEqual({
      [from]: { on_hand: 6, reserved: 0 },
      [to]: { on_hand: 4, reserved: 0 },
    });
    expect((await movementsOf(t, item.id, from)).at(-1)).toMatchObject({
      type: 'transferred_out',
      on_hand_delta: -4,
      reference,
      reason: 'rebalance',
    });
    expect(await movementsOf(t, item.id, to)).toEqual([
      expect.objectContaining({ seq: 1, type: 'transferred_in', on_hand_delta: 4, reference, reason: 'rebalance' }),
    ]);
    const [audit] = await auditOf(t, tenant.id, 'stock.transferred', item.id);
    expect(audit).toMatchObject({
      old_value: { from: { warehouse_id: from, on_hand: 10 }, to: { warehouse_id: to, on_hand: 0 } },
      new_value: { from: { on_hand: 6 }, to: { on_hand: 4 }, quantity: 4, reference },
    });
  });

  it('keeps a given reference, and moves into an existing row', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    await putStockBySql(t, tenant, item.id, to, 2);
    const res = await transferStock(t, tenant, body(item.id, 3, { reference: 'transfer:wk49-7' })).expect(200);
    expect(res.body.data).toMatchObject({ reference: 'transfer:wk49-7', from: { on_hand: 0 }, to: { on_hand: 5 } });
  });

  it('only available units move: 400 insufficient_stock, nothing changes (no destination row either)', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 3, warehouse_id: from }] });
    const res = await expectUnchanged(
      t,
      tenant,
      () => transferStock(t, tenant, body(item.id, 3)),
      400,
      'insufficient_stock',
    );
    expect(res.body.details).toEqual([
      expect.objectContaining({ item_id: item.id, warehouse_id: from, requested: 3, available: 2 }),
    ]);
    expect(res.body.details[0]).not.toHaveProperty('index');
    await transferStock(t, tenant, body(item.id, 2)).expect(200);
  });

  it('a lapsed hold does not block a transfer: it is freed first', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const hold = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 5 }] });
    await lapse(t, hold.id);
    await transferStock(t, tenant, body(item.id, 5)).expect(200);
    expect(await stockOf(t, item.id)).toEqual({
      [from]: { on_hand: 0, reserved: 0 },
      [to]: { on_hand: 5, reserved: 0 },
    });
    expect(await reservationStatus(t, hold.id)).toBe('expired');
  });

  it('400 quantity_out_of_range when the destination would leave no room for units out on its orders', async () => {
    const item = await newItem(t, tenant);
    await putStockBySql(t, tenant, item.id, to, MAX - 5);
    const order = await orderOf(t, tenant, item.id, 2); // allocated where the units are: to
    await transitionOk(t, tenant, order.id, 'confirmed'); // to: MAX - 7 on hand, 2 out
    await putStockBySql(t, tenant, item.id, from, 10);
    const res = await expectUnchanged(
      t,
      tenant,
      () => transferStock(t, tenant, body(item.id, 6)),
      400,
      'quantity_out_of_range',
    );
    expect(res.body.details).toEqual([expect.objectContaining({ warehouse_id: to, outstanding: 2, max: MAX })]);
    await transferStock(t, tenant, body(item.id, 5)).expect(200);
  });

  it('400 validation_failed for the same warehouse twice', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const res = await expectUnchanged(
      t,
      tenant,
      () => transferStock(t, tenant, body(item.id, 1, { to_warehouse_id: from })),
      400,
      'validation_failed',
    );
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'to_warehouse_id' })]);
  });

  it('404 for an unknown or deleted item, or an unknown warehouse on either side', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const deleted = await newItem(t, tenant);
    await t.http.delete(`/api/items/${deleted.id}`).set(tenant.auth).expect(204);
    for (const b of [
      body(randomUUID(), 1),
      body(deleted.id, 1),
      body(item.id, 1, { from_warehouse_id: randomUUID() }),
      body(item.id, 1, { to_warehouse_id: randomUUID() }),
    ]) {
      await expectUnchanged(t, tenant, () => transferStock(t, tenant, b), 404, 'not_found');
    }
    const res = await transferStock(t, tenant, body(item.id, 1, { to_warehouse_id: randomUUID() }));
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'to_warehouse_id' })]);
  });

  it.each<[string, object]>([
    ['a zero quantity', { quantity: 0 }],
    ['a string quantity', { quantity: '1' }],
    ['a fractional quantity', { quantity: 1.5 }],
    ['a quantity over the column', { quantity: MAX + 1 }],
    ['a null warehouse', { to_warehouse_id: null }],
    ['a non-UUID item', { item_id: 'apple' }],
    ['an unknown field', { note: 'x' }],
  ])('400 validation_failed for %s', async (_name, change) => {
    const item = await newItem(t, tenant, { qty: 5 });
    await expectUnchanged(
      t,
      tenant,
      () => transferStock(t, tenant, { ...body(item.id, 1), ...change }),
      400,
      'validation_failed',
    );
  });

  it('Idempotency-Key: a retried transfer moves the units once and answers the same reference', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const send = () => transferStock(t, tenant, body(item.id, 2)).set('Idempotency-Key', `transfer-${item.id}`);
    const first = await send().expect(200);
    const again = await send().expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data.reference).toBe(first.body.data.reference);
    expect(await stockOf(t, item.id)).toEqual({
      [from]: { on_hand: 3, reserved: 0 },
      [to]: { on_hand: 2, reserved: 0 },
    });
  });
});
