import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { expectUnchanged, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { assertInvariant } from '../support/reservations.js';
import { newWarehouse, stockRow, type WarehouseData } from '../support/stock.js';
import { adjustStock, countStock, transferStock } from '../support/stock-operations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Counts, batches and transfers name items by SKU and warehouses by code as well as by id. */
describe('stock operations by SKU and warehouse code', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let other: TestTenant;
  let berlin: WarehouseData;
  let hamburg: WarehouseData;
  beforeAll(async () => {
    t = await startTestApp();
    [tenant, other] = [await newTenant(t), await newTenant(t)];
    berlin = await newWarehouse(t, tenant, { code: 'BER-1' });
    hamburg = await newWarehouse(t, tenant, { code: 'HAM-1' });
  });
  afterAll(async () => {
    await assertInvariant(t, tenant.id);
    await t.close();
  });
  const sku = () => `SKU-${randomUUID().slice(0, 8).toUpperCase()}`;

  it('a count by sku and warehouse_code sets that row', async () => {
    const item = await newItem(t, tenant, { sku: sku() });
    await countStock(t, tenant, { lines: [{ sku: item.sku, warehouse_code: 'BER-1', on_hand: 7 }] }).expect(200);
    expect(await stockRow(t, item.id, berlin.id)).toEqual({ on_hand: 7, reserved: 0 });
  });

  it('an unknown SKU or code (another tenant’s too) is 404 with each one listed, and nothing changes', async () => {
    const item = await newItem(t, tenant, { sku: sku() });
    const foreign = await newItem(t, other, { sku: sku() });
    await newWarehouse(t, other, { code: 'OTHER-1' });
    const res = await expectUnchanged(
      t,
      [tenant, other],
      () =>
        adjustStock(t, tenant, {
          lines: [
            { sku: item.sku, warehouse_code: 'BER-1', delta: 5 },
            { sku: foreign.sku, warehouse_code: 'BER-1', delta: 1 },
            { sku: item.sku, warehouse_code: 'OTHER-1', delta: 1 },
          ],
        }),
      404,
      'not_found',
    );
    expect(res.body.details).toEqual([
      expect.objectContaining({ index: 1, field: 'lines.1.sku' }),
      expect.objectContaining({ index: 2, field: 'lines.2.warehouse_code' }),
    ]);
  });

  it('per_line: a line naming an unknown SKU fails alone, the others apply', async () => {
    const item = await newItem(t, tenant, { sku: sku() });
    const res = await adjustStock(t, tenant, {
      mode: 'per_line',
      lines: [
        { sku: item.sku, warehouse_code: 'HAM-1', delta: 3 },
        { sku: 'NO-SUCH-SKU', warehouse_code: 'HAM-1', delta: 1 },
      ],
    }).expect(200);
    expect(res.body.data).toMatchObject({ applied: 1, failed: 1 });
    expect(res.body.data.lines[1]).toMatchObject({ index: 1, status: 'failed', error: 'not_found' });
    expect(await stockRow(t, item.id, hamburg.id)).toEqual({ on_hand: 3, reserved: 0 });
  });

  it('neither or both of a pair is 400 validation_failed on the id field', async () => {
    const item = await newItem(t, tenant, { sku: sku() });
    for (const line of [
      { warehouse_code: 'BER-1', on_hand: 1 },
      { item_id: item.id, sku: item.sku, warehouse_code: 'BER-1', on_hand: 1 },
      { sku: item.sku, on_hand: 1 },
      { sku: item.sku, warehouse_id: berlin.id, warehouse_code: 'BER-1', on_hand: 1 },
    ]) {
      const res = await expectUnchanged(
        t,
        tenant,
        () => countStock(t, tenant, { lines: [line] }),
        400,
        'validation_failed',
      );
      expect(res.body.details[0].field).toMatch(/^lines\.0\.(item_id|warehouse_id)$/);
    }
  });

  it('a transfer by sku and codes; an unknown code names its field; the same warehouse twice is refused', async () => {
    const item = await newItem(t, tenant, { sku: sku() });
    await countStock(t, tenant, { lines: [{ sku: item.sku, warehouse_code: 'BER-1', on_hand: 10 }] }).expect(200);
    const moved = await transferStock(t, tenant, {
      sku: item.sku,
      from_warehouse_code: 'BER-1',
      to_warehouse_code: 'HAM-1',
      quantity: 4,
    }).expect(200);
    expect(moved.body.data).toMatchObject({ item_id: item.id, from: { on_hand: 6 }, to: { on_hand: 4 } });
    const unknown = await expectUnchanged(
      t,
      tenant,
      () =>
        transferStock(t, tenant, {
          sku: item.sku,
          from_warehouse_code: 'BER-1',
          to_warehouse_code: 'X-9',
          quantity: 1,
        }),
      404,
      'not_found',
    );
    expect(unknown.body.details).toEqual([
      expect.objectContaining({ field: 'to_warehouse_code', warehouse_code: 'X-9' }),
    ]);
    await expectUnchanged(
      t,
      tenant,
      () =>
        transferStock(t, tenant, {
          sku: item.sku,
          from_warehouse_code: 'BER-1',
          to_warehouse_id: berlin.id,
          quantity: 1,
        }),
      400,
      'validation_failed',
    );
  });
});
