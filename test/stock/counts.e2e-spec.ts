import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { auditOf, expectUnchanged, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { orderOf, transitionOk } from '../support/orders.js';
import { assertInvariant, lapse, reservationStatus, reserveOk } from '../support/reservations.js';
import { newWarehouse, stockOf, stockRow } from '../support/stock.js';
import { countStock, movementsOf } from '../support/stock-operations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const MAX = 2_147_483_647;

describe('POST /api/stock/counts', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(async () => {
    await assertInvariant(t, tenant.id);
    await t.close();
  });

  const line = (item_id: string, on_hand: number, extra: object = {}) => ({
    item_id,
    warehouse_id: tenant.defaultWarehouseId,
    on_hand,
    ...extra,
  });

  it('sets on_hand to the count; the movement records the difference, with reference and reason; audited', async () => {
    const item = await newItem(t, tenant, { qty: 50 });
    const res = await countStock(t, tenant, {
      lines: [line(item.id, 47, { expected_on_hand: 50 })],
      reference: 'count:2026-12-01-A',
      reason: 'cycle count',
    })
      .set('X-Request-Id', `count-${item.id}`)
      .expect(200);
    expect(res.body.data).toEqual({
      reference: 'count:2026-12-01-A',
      mode: 'all_or_nothing',
      applied: 1,
      failed: 0,
      lines: [
        {
          index: 0,
          item_id: item.id,
          warehouse_id: tenant.defaultWarehouseId,
          status: 'applied',
          type: 'counted',
          delta: -3,
          on_hand: 47,
          reserved: 0,
          available: 47,
        },
      ],
    });
    const [, counted] = await movementsOf(t, item.id, tenant.defaultWarehouseId);
    expect(counted).toMatchObject({
      seq: 2,
      type: 'counted',
      on_hand_delta: -3,
      on_hand_after: 47,
      reference: 'count:2026-12-01-A',
      reason: 'cycle count',
      request_id: `count-${item.id}`,
    });
    const [audit] = await auditOf(t, tenant.id, 'stock.counted', item.id);
    expect(audit).toMatchObject({
      old_value: { warehouse_id: tenant.defaultWarehouseId, on_hand: 50, reserved: 0 },
      new_value: { on_hand: 47, delta: -3, type: 'counted', reference: 'count:2026-12-01-A', line: 0 },
      request_id: `count-${item.id}`,
    });
  });

  it('a count equal to on_hand writes no movement (the count is still audited)', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const res = await countStock(t, tenant, { lines: [line(item.id, 5, { expected_on_hand: 5 })] }).expect(200);
    expect(res.body.data.lines[0]).toMatchObject({ delta: 0, on_hand: 5 });
    expect(await movementsOf(t, item.id, tenant.defaultWarehouseId)).toHaveLength(1);
    expect(await auditOf(t, tenant.id, 'stock.counted', item.id)).toHaveLength(1);
  });

  it('creates the stock row of a warehouse the item has none in (from 0); a count of 0 there leaves none', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    const w2 = (await newWarehouse(t, tenant)).id;
    const w3 = (await newWarehouse(t, tenant)).id;
    await countStock(t, tenant, {
      lines: [
        { item_id: item.id, warehouse_id: w2, on_hand: 8, expected_on_hand: 0 },
        { item_id: item.id, warehouse_id: w3, on_hand: 0 },
      ],
    }).expect(200);
    expect(await stockOf(t, item.id)).toEqual({
      [tenant.defaultWarehouseId]: { on_hand: 1, reserved: 0 },
      [w2]: { on_hand: 8, reserved: 0 },
    });
    expect(await movementsOf(t, item.id, w2)).toEqual([
      expect.objectContaining({ seq: 1, type: 'counted', on_hand_delta: 8, on_hand_after: 8 }),
    ]);
  });

  it('409 quantity_changed when a row no longer has expected_on_hand: nothing changes, details give on_hand', async () => {
    const a = await newItem(t, tenant, { qty: 10 });
    const b = await newItem(t, tenant, { qty: 9 });
    const res = await expectUnchanged(
      t,
      tenant,
      () =>
        countStock(t, tenant, {
          lines: [line(a.id, 7, { expected_on_hand: 10 }), line(b.id, 4, { expected_on_hand: 10 })],
        }),
      409,
      'quantity_changed',
    );
    expect(res.body.details).toEqual([
      {
        index: 1,
        item_id: b.id,
        warehouse_id: tenant.defaultWarehouseId,
        error: 'quantity_changed',
        expected_on_hand: 10,
        on_hand: 9,
        message: 'on_hand is 9, not the expected 10',
      },
    ]);
  });

  it('400 count_below_reserved with the reserved units; nothing changes', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 4 }] });
    const res = await expectUnchanged(
      t,
      tenant,
      () => countStock(t, tenant, { lines: [line(item.id, 3)] }),
      400,
      'count_below_reserved',
    );
    expect(res.body.details).toEqual([expect.objectContaining({ index: 0, counted: 3, reserved: 4 })]);
    // Down to the reserved units is fine.
    await countStock(t, tenant, { lines: [line(item.id, 4)] }).expect(200);
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 4, reserved: 4 });
  });

  it('a lapsed hold does not block a count: it is freed first', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const hold = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 8 }] });
    await lapse(t, hold.id);
    await countStock(t, tenant, { lines: [line(item.id, 2)] }).expect(200);
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 2, reserved: 0 });
    expect(await reservationStatus(t, hold.id)).toBe('expired');
  });

  it('a refused count leaves a lapsed hold as it was (the freeing is undone)', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const hold = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 8 }] });
    await lapse(t, hold.id);
    await expectUnchanged(
      t,
      tenant,
      () => countStock(t, tenant, { lines: [line(item.id, 2), line(item.id, 1, { expected_on_hand: 3 })] }),
      409,
      'quantity_changed',
    );
    expect(await reservationStatus(t, hold.id)).toBe('active');
  });

  it('400 quantity_out_of_range when the count leaves no room for units out on orders', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const order = await orderOf(t, tenant, item.id, 3);
    await transitionOk(t, tenant, order.id, 'confirmed');
    const res = await expectUnchanged(
      t,
      tenant,
      () => countStock(t, tenant, { lines: [line(item.id, MAX - 2)] }),
      400,
      'quantity_out_of_range',
    );
    expect(res.body.details).toEqual([expect.objectContaining({ outstanding: 3, max: MAX })]);
    await countStock(t, tenant, { lines: [line(item.id, MAX - 3)] }).expect(200);
  });

  it('404 listing unknown items, deleted items and unknown warehouses; nothing changes', async () => {
    const live = await newItem(t, tenant, { qty: 1 });
    const deleted = await newItem(t, tenant);
    await t.http.delete(`/api/items/${deleted.id}`).set(tenant.auth).expect(204);
    const unknownItem = randomUUID();
    const unknownWarehouse = randomUUID();
    const res = await expectUnchanged(
      t,
      tenant,
      () =>
        countStock(t, tenant, {
          lines: [line(live.id, 2), line(unknownItem, 1), line(deleted.id, 1)],
        }),
      404,
      'not_found',
    );
    expect(res.body.details.map((d: any) => [d.index, d.field])).toEqual([
      [1, 'lines.1.item_id'],
      [2, 'lines.2.item_id'],
    ]);
    const wh = await expectUnchanged(
      t,
      tenant,
      () =>
        countStock(t, tenant, { lines: [line(live.id, 2), { ...line(live.id, 1), warehouse_id: unknownWarehouse }] }),
      404,
      'not_found',
    );
    expect(wh.body.details).toEqual([
      expect.objectContaining({ index: 1, field: 'lines.1.warehouse_id', warehouse_id: unknownWarehouse }),
    ]);
  });

  it("another tenant's item and warehouse are unknown", async () => {
    const other = await newTenant(t);
    const theirs = await newItem(t, other, { qty: 5 });
    const mine = await newItem(t, tenant, { qty: 5 });
    await expectUnchanged(
      t,
      [tenant, other],
      () => countStock(t, tenant, { lines: [line(theirs.id, 1)] }),
      404,
      'not_found',
    );
    await expectUnchanged(
      t,
      [tenant, other],
      () => countStock(t, tenant, { lines: [{ ...line(mine.id, 1), warehouse_id: other.defaultWarehouseId }] }),
      404,
      'not_found',
    );
  });

  it.each<[string, (itemId: string) => unknown]>([
    ['a string on_hand', (id) => ({ lines: [{ item_id: id, warehouse_id: randomUUID(), on_hand: '5' }] })],
    ['a fractional on_hand', (id) => ({ lines: [{ item_id: id, warehouse_id: randomUUID(), on_hand: 5.5 }] })],
    ['a null on_hand', (id) => ({ lines: [{ item_id: id, warehouse_id: randomUUID(), on_hand: null }] })],
    ['a negative on_hand', (id) => ({ lines: [{ item_id: id, warehouse_id: randomUUID(), on_hand: -1 }] })],
    ['on_hand over the column', (id) => ({ lines: [{ item_id: id, warehouse_id: randomUUID(), on_hand: MAX + 1 }] })],
    [
      'a boolean expected_on_hand',
      (id) => ({ lines: [{ item_id: id, warehouse_id: randomUUID(), on_hand: 1, expected_on_hand: true }] }),
    ],
    ['an unknown field', (id) => ({ lines: [{ item_id: id, warehouse_id: randomUUID(), on_hand: 1, qty: 1 }] })],
    [
      'an unknown top-level field',
      (id) => ({ lines: [{ item_id: id, warehouse_id: randomUUID(), on_hand: 1 }], x: 1 }),
    ],
    ['no warehouse', (id) => ({ lines: [{ item_id: id, on_hand: 1 }] })],
    ['no lines', () => ({ lines: [] })],
    [
      '1,001 lines',
      (id) => ({
        lines: Array.from({ length: 1001 }, () => ({ item_id: id, warehouse_id: randomUUID(), on_hand: 1 })),
      }),
    ],
    [
      'an empty reference',
      (id) => ({ lines: [{ item_id: id, warehouse_id: randomUUID(), on_hand: 1 }], reference: ' ' }),
    ],
  ])('400 validation_failed for %s', async (_name, body) => {
    const item = await newItem(t, tenant, { qty: 1 });
    await expectUnchanged(t, tenant, () => countStock(t, tenant, body(item.id)), 400, 'validation_failed');
  });

  it('Idempotency-Key: the same count again replays the first answer and changes nothing', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const send = () => countStock(t, tenant, { lines: [line(item.id, 9)] }).set('Idempotency-Key', `count-${item.id}`);
    const first = await send().expect(200);
    const again = await send().expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await movementsOf(t, item.id, tenant.defaultWarehouseId)).toHaveLength(2);
  });
});
