import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { auditOf, expectUnchanged, newItem, newTenant, snapshot, type TestTenant } from '../support/fixtures.js';
import { assertInvariant, lapse, reservationStatus, reserveOk } from '../support/reservations.js';
import { newWarehouse, stockOf, stockRow } from '../support/stock.js';
import { adjustStock, movementsOf } from '../support/stock-operations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('POST /api/stock/adjustments', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let w1: string;
  let w2: string;
  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
    w1 = tenant.defaultWarehouseId;
    w2 = (await newWarehouse(t, tenant)).id;
  });
  afterAll(async () => {
    await assertInvariant(t, tenant.id);
    await t.close();
  });

  it('deltas, a write-off and counts in one request; lines on one row apply in order; one reference', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const res = await adjustStock(t, tenant, {
      reference: 'po:4711',
      lines: [
        { item_id: item.id, warehouse_id: w1, delta: 5, type: 'received' },
        { item_id: item.id, warehouse_id: w1, delta: -2, type: 'damaged', reason: 'broken' },
        { item_id: item.id, warehouse_id: w1, on_hand: 20, expected_on_hand: 13 },
        { item_id: item.id, warehouse_id: w2, delta: 7 },
      ],
    }).expect(200);
    expect(res.body.data).toMatchObject({ reference: 'po:4711', mode: 'all_or_nothing', applied: 4, failed: 0 });
    expect(res.body.data.lines.map((l: any) => [l.index, l.status, l.type, l.delta, l.on_hand])).toEqual([
      [0, 'applied', 'received', 5, 15],
      [1, 'applied', 'damaged', -2, 13],
      [2, 'applied', 'counted', 7, 20],
      [3, 'applied', 'adjusted', 7, 7],
    ]);
    expect(await stockOf(t, item.id)).toEqual({
      [w1]: { on_hand: 20, reserved: 0 },
      [w2]: { on_hand: 7, reserved: 0 },
    });
    const moves = (await movementsOf(t, item.id, w1)).slice(1);
    expect(moves.map((m: any) => [m.seq, m.type, m.on_hand_delta, m.on_hand_after, m.reference, m.reason])).toEqual([
      [2, 'received', 5, 15, 'po:4711', null],
      [3, 'damaged', -2, 13, 'po:4711', 'broken'],
      [4, 'counted', 7, 20, 'po:4711', null],
    ]);
    const audit = await auditOf(t, tenant.id, 'stock.adjusted', item.id);
    expect(audit.map((a: any) => [a.new_value.line, a.new_value.warehouse_id, a.new_value.delta])).toEqual([
      [0, w1, 5],
      [1, w1, -2],
      [3, w2, 7],
    ]);
    expect(await auditOf(t, tenant.id, 'stock.counted', item.id)).toHaveLength(1);
  });

  it('all or nothing: one failing line and nothing changes; the error is that line’s code, with its index', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    const res = await expectUnchanged(
      t,
      tenant,
      () =>
        adjustStock(t, tenant, {
          lines: [
            { item_id: item.id, warehouse_id: w2, delta: 4 },
            { item_id: item.id, warehouse_id: w1, delta: -4 },
          ],
        }),
      400,
      'insufficient_stock',
    );
    expect(res.body.details).toEqual([
      {
        index: 1,
        item_id: item.id,
        warehouse_id: w1,
        error: 'insufficient_stock',
        requested: 4,
        available: 3,
        message: 'only 3 units available, 4 to remove',
      },
    ]);
  });

  it('lines failing for different reasons: 400 batch_failed listing every one; only CAS failures: 409', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    const mixed = await expectUnchanged(
      t,
      tenant,
      () =>
        adjustStock(t, tenant, {
          lines: [
            { item_id: item.id, warehouse_id: w1, delta: -3 },
            { item_id: item.id, warehouse_id: w1, delta: 1 },
            { item_id: item.id, warehouse_id: w1, on_hand: 0 },
            { item_id: item.id, warehouse_id: w1, on_hand: 5, expected_on_hand: 3 },
          ],
        }),
      400,
      'batch_failed',
    );
    expect(mixed.body.details.map((d: any) => [d.index, d.error])).toEqual([
      [0, 'insufficient_stock'],
      [2, 'count_below_reserved'],
      [3, 'quantity_changed'],
    ]);
    const cas = await expectUnchanged(
      t,
      tenant,
      () =>
        adjustStock(t, tenant, { lines: [{ item_id: item.id, warehouse_id: w1, on_hand: 5, expected_on_hand: 2 }] }),
      409,
      'quantity_changed',
    );
    expect(cas.body.details).toEqual([expect.objectContaining({ index: 0, on_hand: 3, expected_on_hand: 2 })]);
  });

  it('all or nothing: 404 listing the lines naming unknown items or warehouses', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    const res = await expectUnchanged(
      t,
      tenant,
      () =>
        adjustStock(t, tenant, {
          lines: [
            { item_id: item.id, warehouse_id: w1, delta: -9 },
            { item_id: randomUUID(), warehouse_id: w1, delta: 1 },
            { item_id: item.id, warehouse_id: randomUUID(), delta: 1 },
          ],
        }),
      404,
      'not_found',
    );
    expect(res.body.details.map((d: any) => [d.index, d.field])).toEqual([[2, 'lines.2.warehouse_id']]);
  });

  it('per_line: applies the lines that can be, reports each line; a failed line leaves no row behind', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    const w3 = (await newWarehouse(t, tenant)).id;
    const unknownItem = randomUUID();
    const unknownWarehouse = randomUUID();
    const res = await adjustStock(t, tenant, {
      mode: 'per_line',
      lines: [
        { item_id: item.id, warehouse_id: w1, delta: -5 },
        { item_id: item.id, warehouse_id: w1, delta: -2 },
        { item_id: unknownItem, warehouse_id: w1, delta: 1 },
        { item_id: item.id, warehouse_id: unknownWarehouse, delta: 1 },
        { item_id: item.id, warehouse_id: w3, on_hand: 4, expected_on_hand: 1 },
        { item_id: item.id, warehouse_id: w2, on_hand: 6 },
      ],
    }).expect(200);
    expect(res.body.data).toMatchObject({ mode: 'per_line', applied: 2, failed: 4 });
    expect(res.body.data.lines.map((l: any) => [l.index, l.status, l.error ?? l.on_hand])).toEqual([
      [0, 'failed', 'insufficient_stock'],
      [1, 'applied', 1],
      [2, 'failed', 'not_found'],
      [3, 'failed', 'not_found'],
      [4, 'failed', 'quantity_changed'],
      [5, 'applied', 6],
    ]);
    expect(res.body.data.lines[2]).toMatchObject({ field: 'lines.2.item_id', item_id: unknownItem });
    expect(await stockOf(t, item.id)).toEqual({ [w1]: { on_hand: 1, reserved: 0 }, [w2]: { on_hand: 6, reserved: 0 } });
  });

  it('per_line with every line failing changes nothing and still answers 200', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    const before = await snapshot(t, tenant.id);
    const res = await adjustStock(t, tenant, {
      mode: 'per_line',
      lines: [{ item_id: item.id, warehouse_id: w2, on_hand: 3, expected_on_hand: 2 }],
    }).expect(200);
    expect(res.body.data).toMatchObject({ applied: 0, failed: 1 });
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });

  it('lapsed holds do not block a batch; in per_line too', async () => {
    const item = await newItem(t, tenant, { qty: 6 });
    const hold = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 6 }] });
    await lapse(t, hold.id);
    await adjustStock(t, tenant, {
      lines: [
        { item_id: item.id, warehouse_id: w1, delta: -4, type: 'damaged' },
        { item_id: item.id, warehouse_id: w1, on_hand: 1 },
      ],
    }).expect(200);
    expect(await stockRow(t, item.id, w1)).toEqual({ on_hand: 1, reserved: 0 });
    expect(await reservationStatus(t, hold.id)).toBe('expired');

    const other = await newItem(t, tenant, { qty: 2 });
    const hold2 = await reserveOk(t, tenant, { lines: [{ item_id: other.id, quantity: 2 }] });
    await lapse(t, hold2.id);
    const res = await adjustStock(t, tenant, {
      mode: 'per_line',
      lines: [{ item_id: other.id, warehouse_id: w1, delta: -2 }],
    }).expect(200);
    expect(res.body.data).toMatchObject({ applied: 1, failed: 0 });
    expect(await reservationStatus(t, hold2.id)).toBe('expired');
  });

  it('takes 1,000 lines in one request (a body over the usual 100 kB)', async () => {
    const items = await Promise.all(Array.from({ length: 10 }, () => newItem(t, tenant)));
    const lines = Array.from({ length: 1000 }, (_, i) => ({
      item_id: items[i % 10]!.id,
      warehouse_id: i % 2 ? w1 : w2,
      delta: 1,
      type: 'received',
      reason: 'nightly ERP sync',
    }));
    expect(JSON.stringify({ lines }).length).toBeGreaterThan(100_000);
    const res = await adjustStock(t, tenant, { lines, reference: 'erp-sync:test' }).expect(200);
    expect(res.body.data.applied).toBe(1000);
    expect(await stockOf(t, items[0]!.id)).toEqual({
      [w1]: { on_hand: 0, reserved: 0 },
      [w2]: { on_hand: 100, reserved: 0 },
    });
    expect(await stockOf(t, items[1]!.id)).toEqual({ [w1]: { on_hand: 100, reserved: 0 } });
  });

  it.each<[string, object]>([
    ['neither delta nor on_hand', {}],
    ['both delta and on_hand', { delta: 1, on_hand: 1 }],
    ['a type on a count', { on_hand: 1, type: 'received' }],
    ['expected_on_hand on a delta', { delta: 1, expected_on_hand: 1 }],
    ['a damaged line adding units', { delta: 1, type: 'damaged' }],
    ['a received line removing units', { delta: -1, type: 'received' }],
    ['a counted type', { delta: 1, type: 'counted' }],
    ['a string delta', { delta: '1' }],
    ['a boolean delta', { delta: true }],
    ['a delta over the bound', { delta: 1_000_000_001 }],
    ['an unknown field', { delta: 1, sku: 'APPLE-1' }],
  ])('400 validation_failed for %s', async (_name, fields) => {
    const item = await newItem(t, tenant, { qty: 5 });
    await expectUnchanged(
      t,
      tenant,
      () => adjustStock(t, tenant, { lines: [{ item_id: item.id, warehouse_id: w1, ...fields }] }),
      400,
      'validation_failed',
    );
  });

  it.each<[string, (id: string) => object]>([
    [
      'an unknown mode',
      (id) => ({ mode: 'best_effort', lines: [{ item_id: id, warehouse_id: randomUUID(), delta: 1 }] }),
    ],
    ['no lines', () => ({ lines: [] })],
    [
      '1,001 lines',
      (id) => ({ lines: Array.from({ length: 1001 }, () => ({ item_id: id, warehouse_id: randomUUID(), delta: 1 })) }),
    ],
    ['lines not an array', (id) => ({ lines: { item_id: id } })],
  ])('400 validation_failed for %s', async (_name, body) => {
    const item = await newItem(t, tenant, { qty: 5 });
    await expectUnchanged(t, tenant, () => adjustStock(t, tenant, body(item.id)), 400, 'validation_failed');
  });

  it('Idempotency-Key: a retried batch is applied once', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const send = () =>
      adjustStock(t, tenant, { lines: [{ item_id: item.id, warehouse_id: w1, delta: 3 }] }).set(
        'Idempotency-Key',
        `batch-${item.id}`,
      );
    const first = await send().expect(200);
    const again = await send().expect(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await stockRow(t, item.id, w1)).toEqual({ on_hand: 8, reserved: 0 });
  });
});
