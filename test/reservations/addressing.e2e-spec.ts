import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  countQueries,
  expectUnchanged,
  newItem,
  newTenant,
  sendRaw,
  type ItemData,
  type TestTenant,
} from '../support/fixtures.js';
import { createOrder, createOrderOk } from '../support/orders.js';
import { reserve, reserveOk } from '../support/reservations.js';
import { addStock, newWarehouse, reservedByWarehouse, type WarehouseData } from '../support/stock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// Lines that name items by SKU and warehouses by code: resolved to ids before the
// write, unknown ones 404 with each listed, another tenant's as unknown as a typo.

const sku = () => `SKU-${randomUUID().slice(0, 8).toUpperCase()}`;

describe('addressing lines by sku and warehouse_code', () => {
  let t: TestApp;
  let A: TestTenant;
  let B: TestTenant;
  let apple: ItemData;
  let pear: ItemData;
  let ber: WarehouseData;
  let bItem: ItemData;
  let bWarehouse: WarehouseData;

  beforeAll(async () => {
    t = await startTestApp();
    A = await newTenant(t);
    B = await newTenant(t);
    apple = await newItem(t, A, { sku: sku(), qty: 10 });
    pear = await newItem(t, A, { sku: sku(), qty: 10 });
    ber = await newWarehouse(t, A, { code: `BER-${randomUUID().slice(0, 4)}`, priority: 5 });
    await addStock(t, A, apple.id, 10, ber.id);
    bItem = await newItem(t, B, { sku: sku(), qty: 10 });
    bWarehouse = await newWarehouse(t, B);
  });
  afterAll(() => t.close());

  it('reserves by sku and warehouse_code; the reservation answers with ids', async () => {
    const r = await reserveOk(t, A, {
      lines: [
        { sku: apple.sku, quantity: 2, warehouse_code: ber.code },
        { sku: pear.sku, quantity: 1 },
      ],
    });
    expect(r.lines).toEqual(
      expect.arrayContaining([
        { item_id: apple.id, warehouse_id: ber.id, quantity: 2 },
        { item_id: pear.id, warehouse_id: A.defaultWarehouseId, quantity: 1 },
      ]),
    );
    expect(r.lines).toHaveLength(2);
    expect((await reservedByWarehouse(t, apple.id))[ber.id]).toBe(2);
  });

  it('mixes ids and references in one request; a sku line and an id line of one item merge', async () => {
    const r = await reserveOk(t, A, {
      lines: [
        { item_id: apple.id, quantity: 1, warehouse_code: ber.code },
        { sku: apple.sku, quantity: 1, warehouse_id: ber.id },
      ],
    });
    expect(r.lines).toEqual([{ item_id: apple.id, warehouse_id: ber.id, quantity: 2 }]);
  });

  it('resolves every SKU of a request in one query and every code in one more', async () => {
    const byIds = {
      lines: [
        { item_id: apple.id, quantity: 1, warehouse_id: ber.id },
        { item_id: pear.id, quantity: 1 },
      ],
    };
    const byRefs = {
      lines: [
        { sku: apple.sku, quantity: 1, warehouse_code: ber.code },
        { sku: pear.sku, quantity: 1, warehouse_code: 'default' },
        { sku: apple.sku, quantity: 1 },
      ],
    };
    const ids = await countQueries(() => reserveOk(t, A, byIds));
    const refs = await countQueries(() => reserveOk(t, A, byRefs));
    expect(refs - ids).toBe(2);
  });

  it('an unknown sku is 404 not_found listing every unknown line, and nothing changes', async () => {
    const res = await expectUnchanged(
      t,
      [A, B],
      () =>
        reserve(t, A, {
          lines: [
            { sku: apple.sku, quantity: 1 },
            { sku: 'NOPE-1', quantity: 1 },
            { sku: 'NOPE-2', quantity: 1, warehouse_code: 'NOWHERE' },
          ],
        }),
      404,
      'not_found',
    );
    expect(res.body.details).toEqual([
      { field: 'lines.1.sku', message: 'unknown sku NOPE-1', sku: 'NOPE-1' },
      { field: 'lines.2.sku', message: 'unknown sku NOPE-2', sku: 'NOPE-2' },
      { field: 'lines.2.warehouse_code', message: 'unknown warehouse_code NOWHERE', warehouse_code: 'NOWHERE' },
    ]);
    expect(res.body.message).toContain('NOPE-1');
  });

  it("another tenant's sku and warehouse code are unknown (404), and nothing changes on either side", async () => {
    const res = await expectUnchanged(
      t,
      [A, B],
      () => reserve(t, A, { lines: [{ sku: bItem.sku, quantity: 1, warehouse_code: bWarehouse.code }] }),
      404,
      'not_found',
    );
    expect(res.body.details.map((d: { field: string }) => d.field)).toEqual(['lines.0.sku', 'lines.0.warehouse_code']);
  });

  it("a deleted item's sku is unknown", async () => {
    const gone = await newItem(t, A, { sku: sku(), qty: 1 });
    await t.http.delete(`/api/items/${gone.id}`).set(A.auth).expect(204);
    await expectUnchanged(t, A, () => reserve(t, A, { lines: [{ sku: gone.sku, quantity: 1 }] }), 404, 'not_found');
  });

  it.each<[string, Record<string, unknown>, string, string]>([
    ['neither item_id nor sku', { quantity: 1 }, 'lines.0.item_id', 'give item_id or sku'],
    [
      'both item_id and sku',
      { item_id: randomUUID(), sku: 'APPLE-1', quantity: 1 },
      'lines.0.item_id',
      'give item_id or sku, not both',
    ],
    [
      'both warehouse_id and warehouse_code',
      { sku: 'APPLE-1', quantity: 1, warehouse_id: randomUUID(), warehouse_code: 'default' },
      'lines.0.warehouse_id',
      'give warehouse_id or warehouse_code, not both',
    ],
    ['a lower-case sku', { sku: 'apple-1', quantity: 1 }, 'lines.0.sku', 'sku must match ^[A-Z0-9][A-Z0-9._-]{0,63}$'],
    ['sku null', { sku: null, quantity: 1 }, 'lines.0.sku', 'sku must be a string'],
    ['sku a number', { sku: 7, quantity: 1 }, 'lines.0.sku', 'sku must be a string'],
    [
      'warehouse_code with a space',
      { sku: 'A', quantity: 1, warehouse_code: 'B 1' },
      'lines.0.warehouse_code',
      'warehouse_code must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
    ],
    [
      'warehouse_code null',
      { sku: 'A', quantity: 1, warehouse_code: null },
      'lines.0.warehouse_code',
      'warehouse_code must be a string',
    ],
  ])(
    'a line with %s → 400 validation_failed naming the field, nothing changes',
    async (_label, line, field, message) => {
      const res = await expectUnchanged(t, [A, B], () => reserve(t, A, { lines: [line] }), 400, 'validation_failed');
      expect(res.body.details).toContainEqual({ field, message });
    },
  );

  it('Idempotency-Key: a reservation by sku is replayed, not held twice', async () => {
    const key = `sku-${randomUUID()}`;
    const body = JSON.stringify({ lines: [{ sku: pear.sku, quantity: 1 }] });
    const send = () => sendRaw(t.http.post('/api/reservations').set(A.auth).set('Idempotency-Key', key), body);
    const first = await send();
    expect(first.status).toBe(201);
    const before = (await reservedByWarehouse(t, pear.id))[A.defaultWarehouseId];
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data.id).toBe(first.body.data.id);
    expect((await reservedByWarehouse(t, pear.id))[A.defaultWarehouseId]).toBe(before);
  });

  describe('orders', () => {
    it('creates an order from lines by sku and warehouse_code; lines answer with ids', async () => {
      const order = await createOrderOk(t, A, {
        currency: 'EUR',
        lines: [{ sku: apple.sku, quantity: 2, unit_price: 150, warehouse_code: ber.code }],
      });
      expect(order.lines).toEqual([
        expect.objectContaining({ item_id: apple.id, warehouse_id: ber.id, quantity: 2, unit_price: 150 }),
      ]);
      expect(order.total_amount).toBe(300);
    });

    it('takes over a reservation with prices by sku', async () => {
      const r = await reserveOk(t, A, { lines: [{ item_id: pear.id, quantity: 1 }] });
      const order = await createOrderOk(t, A, {
        currency: 'EUR',
        reservation_id: r.id,
        prices: [{ sku: pear.sku, unit_price: 99 }],
      });
      expect(order).toMatchObject({ reservation_id: r.id, total_amount: 99 });
    });

    it('an unknown sku in lines or prices is 404 with each listed, and nothing changes', async () => {
      const lines = await expectUnchanged(
        t,
        [A, B],
        () => createOrder(t, A, { currency: 'EUR', lines: [{ sku: bItem.sku, quantity: 1, unit_price: 1 }] }),
        404,
        'not_found',
      );
      expect(lines.body.details).toEqual([
        { field: 'lines.0.sku', message: `unknown sku ${bItem.sku}`, sku: bItem.sku },
      ]);
      const r = await reserveOk(t, A, { lines: [{ item_id: pear.id, quantity: 1 }] });
      const prices = await expectUnchanged(
        t,
        A,
        () => createOrder(t, A, { currency: 'EUR', reservation_id: r.id, prices: [{ sku: 'NOPE-3', unit_price: 1 }] }),
        404,
        'not_found',
      );
      expect(prices.body.details).toEqual([{ field: 'prices.0.sku', message: 'unknown sku NOPE-3', sku: 'NOPE-3' }]);
    });

    it('a sku line and an id line of one item with two prices are 400, and nothing changes', async () => {
      await expectUnchanged(
        t,
        A,
        () =>
          createOrder(t, A, {
            currency: 'EUR',
            lines: [
              { sku: apple.sku, quantity: 1, unit_price: 1 },
              { item_id: apple.id, quantity: 1, unit_price: 2 },
            ],
          }),
        400,
        'validation_failed',
      );
    });

    it('a price naming its item both ways is 400 validation_failed', async () => {
      const res = await expectUnchanged(
        t,
        A,
        () =>
          createOrder(t, A, {
            currency: 'EUR',
            reservation_id: randomUUID(),
            prices: [{ item_id: apple.id, sku: apple.sku, unit_price: 1 }],
          }),
        400,
        'validation_failed',
      );
      expect(res.body.details).toContainEqual({ field: 'prices.0.item_id', message: 'give item_id or sku, not both' });
    });
  });
});
