import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { expectUnchanged, type ItemData, newItem, newTenant, snapshot, type TestTenant } from '../support/fixtures.js';
import { newWarehouse, stockRow } from '../support/stock.js';
import { assertInvariant, extend, type ReservationData, reserve, reserveOk } from '../support/reservations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('reservations: hostile input', () => {
  let t: TestApp;
  let A: TestTenant;
  let B: TestTenant;
  let item: ItemData; // A's, 10 units
  let foreignItem: ItemData; // B's, 10 units
  let held: ReservationData; // A's active hold of 1 unit, for extend

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    A = await newTenant(t);
    B = await newTenant(t);
    item = await newItem(t, A, { qty: 10 });
    foreignItem = await newItem(t, B, { qty: 10 });
    held = await reserveOk(t, A, { lines: [{ item_id: item.id, quantity: 1 }] });
  });
  afterAll(async () => {
    await assertInvariant(t, A.id);
    await t.close();
  });

  const line = (patch: Record<string, unknown> = {}) => ({ item_id: item.id, quantity: 1, ...patch });

  /** [label, body, field that details must name] */
  const invalid: [string, () => unknown, string][] = [
    ['quantity true', () => ({ lines: [line({ quantity: true })] }), 'lines.0.quantity'],
    ['quantity 0', () => ({ lines: [line({ quantity: 0 })] }), 'lines.0.quantity'],
    ['quantity -1', () => ({ lines: [line({ quantity: -1 })] }), 'lines.0.quantity'],
    ['quantity 1.5', () => ({ lines: [line({ quantity: 1.5 })] }), 'lines.0.quantity'],
    ['quantity "1"', () => ({ lines: [line({ quantity: '1' })] }), 'lines.0.quantity'],
    ['quantity null', () => ({ lines: [line({ quantity: null })] }), 'lines.0.quantity'],
    ['quantity 1e7', () => ({ lines: [line({ quantity: 1e7 })] }), 'lines.0.quantity'],
    ['quantity 1e6 + 1', () => ({ lines: [line({ quantity: 1_000_001 })] }), 'lines.0.quantity'],
    ['quantity []', () => ({ lines: [line({ quantity: [] })] }), 'lines.0.quantity'],
    ['quantity missing', () => ({ lines: [{ item_id: item.id }] }), 'lines.0.quantity'],
    ['a bad second line', () => ({ lines: [line(), line({ quantity: 0 })] }), 'lines.1.quantity'],
    ['101 lines', () => ({ lines: Array.from({ length: 101 }, () => line()) }), 'lines'],
    ['empty lines', () => ({ lines: [] }), 'lines'],
    ['lines an object', () => ({ lines: line() }), 'lines'],
    ['lines a string', () => ({ lines: 'all' }), 'lines'],
    ['lines null', () => ({ lines: null }), 'lines'],
    ['lines missing', () => ({ reference: 'x' }), 'lines'],
    ['a null line', () => ({ lines: [null] }), 'lines.0'],
    ['a number as line', () => ({ lines: [7] }), 'lines.0'],
    ['a nested array as line', () => ({ lines: [[]] }), 'lines'],
    ['a nested array holding a line', () => ({ lines: [[line()]] }), 'lines'],
    ['unknown top-level field', () => ({ lines: [line()], priority: 1 }), 'priority'],
    ['unknown line field', () => ({ lines: [line({ price: 3 })] }), 'lines.0.price'],
    ['ttl_seconds 0', () => ({ lines: [line()], ttl_seconds: 0 }), 'ttl_seconds'],
    ['ttl_seconds 86401', () => ({ lines: [line()], ttl_seconds: 86_401 }), 'ttl_seconds'],
    ['ttl_seconds 1.5', () => ({ lines: [line()], ttl_seconds: 1.5 }), 'ttl_seconds'],
    ['ttl_seconds "60"', () => ({ lines: [line()], ttl_seconds: '60' }), 'ttl_seconds'],
    ['ttl_seconds null', () => ({ lines: [line()], ttl_seconds: null }), 'ttl_seconds'],
    ['ttl_seconds true', () => ({ lines: [line()], ttl_seconds: true }), 'ttl_seconds'],
    ['item_id not a uuid', () => ({ lines: [line({ item_id: 'abc' })] }), 'lines.0.item_id'],
    ['item_id a number', () => ({ lines: [line({ item_id: 42 })] }), 'lines.0.item_id'],
    ['item_id null', () => ({ lines: [line({ item_id: null })] }), 'lines.0.item_id'],
    ['item_id missing', () => ({ lines: [{ quantity: 1 }] }), 'lines.0.item_id'],
    ['warehouse_id not a uuid', () => ({ lines: [line({ warehouse_id: 'main' })] }), 'lines.0.warehouse_id'],
    ['warehouse_id null', () => ({ lines: [line({ warehouse_id: null })] }), 'lines.0.warehouse_id'],
    ['reference empty', () => ({ lines: [line()], reference: '' }), 'reference'],
    ['reference blank', () => ({ lines: [line()], reference: '   ' }), 'reference'],
    ['reference of 256 characters', () => ({ lines: [line()], reference: 'r'.repeat(256) }), 'reference'],
    ['reference a number', () => ({ lines: [line()], reference: 5 }), 'reference'],
    ['reference null', () => ({ lines: [line()], reference: null }), 'reference'],
    ['reference with a NUL character', () => ({ lines: [line()], reference: 'cart\u00001' }), 'reference'],
  ];

  it.each(invalid)(
    'POST with %s → 400 validation_failed naming the field, nothing changes',
    async (_label, body, field) => {
      const res = await expectUnchanged(t, [A, B], () => reserve(t, A, body()), 400, 'validation_failed');
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    },
  );

  it.each<[string, string, string]>([
    ['a JSON array', '[{"lines":[]}]', 'validation_failed'],
    ['a JSON string', '"lines"', 'invalid_json'],
    ['malformed JSON', '{"lines": [', 'invalid_json'],
    [
      'a __proto__ key',
      '{"lines":[{"item_id":"00000000-0000-4000-8000-000000000000","quantity":1}],"__proto__":{"x":1}}',
      'validation_failed',
    ],
  ])('POST with %s as body (%s) → 400 %s, nothing changes', async (_label, text, code) => {
    await expectUnchanged(
      t,
      A,
      () => t.http.post('/api/reservations').set(A.auth).set('Content-Type', 'application/json').send(text),
      400,
      code,
    );
  });

  it("unknown item, another tenant's item or warehouse, a deleted item → 404 not_found, nothing changes", async () => {
    const bWarehouse = await newWarehouse(t, B);
    const cases: unknown[] = [
      { lines: [line({ item_id: randomUUID() })] },
      { lines: [line(), line({ item_id: randomUUID() })] },
      { lines: [line({ item_id: foreignItem.id })] },
      { lines: [line({ item_id: foreignItem.id, warehouse_id: B.defaultWarehouseId })] },
      { lines: [line({ warehouse_id: bWarehouse.id })] },
      { lines: [line({ warehouse_id: randomUUID() })] },
    ];
    for (const body of cases) await expectUnchanged(t, [A, B], () => reserve(t, A, body), 404, 'not_found');
    const gone = await newItem(t, A, { qty: 3 });
    await t.http.delete(`/api/items/${gone.id}`).set(A.auth).expect(204);
    await expectUnchanged(t, [A, B], () => reserve(t, A, { lines: [line({ item_id: gone.id })] }), 404, 'not_found');
    expect(await stockRow(t, foreignItem.id, B.defaultWarehouseId)).toEqual({ on_hand: 10, reserved: 0 });
  });

  it('the limits themselves are accepted: 100 lines, quantity 1e6, ttl_seconds 86400', async () => {
    const big = await newItem(t, A, { qty: 1_000_100 });
    const hundred = await reserveOk(t, A, {
      lines: Array.from({ length: 100 }, () => ({ item_id: big.id, quantity: 1 })),
    });
    expect(hundred.lines).toEqual([{ item_id: big.id, warehouse_id: A.defaultWarehouseId, quantity: 100 }]);
    const r = await reserveOk(t, A, { lines: [{ item_id: big.id, quantity: 1_000_000 }], ttl_seconds: 86_400 });
    expect(new Date(r.expires_at).getTime() - new Date(r.created_at).getTime()).toBe(86_400_000);
    expect(await stockRow(t, big.id, A.defaultWarehouseId)).toEqual({ on_hand: 1_000_100, reserved: 1_000_100 });
  });

  // UUIDs are case-insensitive, IsUUID accepts upper case, and path ids are already
  // lower-cased by UuidParamPipe: a body id in upper case must name the same row.
  it('an item_id in upper case names the same item', async () => {
    const up = await newItem(t, A, { qty: 2 });
    const res = await reserve(t, A, { lines: [{ item_id: up.id.toUpperCase(), quantity: 2 }] });
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 201, error: undefined });
    expect(res.body.data.lines).toEqual([{ item_id: up.id, warehouse_id: A.defaultWarehouseId, quantity: 2 }]);
    expect(await stockRow(t, up.id, A.defaultWarehouseId)).toEqual({ on_hand: 2, reserved: 2 });
  });

  it('a warehouse_id in upper case names the same warehouse', async () => {
    const up = await newItem(t, A, { qty: 2 });
    const res = await reserve(t, A, {
      lines: [{ item_id: up.id, quantity: 1, warehouse_id: A.defaultWarehouseId.toUpperCase() }],
    });
    expect({ status: res.status, error: res.body.error }).toEqual({ status: 201, error: undefined });
    expect(res.body.data.lines).toEqual([{ item_id: up.id, warehouse_id: A.defaultWarehouseId, quantity: 1 }]);
  });

  describe('extend bodies', () => {
    it.each<[string, unknown]>([
      ['no body', undefined],
      ['ttl_seconds missing', {}],
      ['ttl_seconds 0', { ttl_seconds: 0 }],
      ['ttl_seconds 86401', { ttl_seconds: 86_401 }],
      ['ttl_seconds 1.5', { ttl_seconds: 1.5 }],
      ['ttl_seconds "60"', { ttl_seconds: '60' }],
      ['ttl_seconds null', { ttl_seconds: null }],
      ['ttl_seconds true', { ttl_seconds: true }],
      ['unknown field', { ttl_seconds: 60, expires_at: '2999-01-01T00:00:00Z' }],
    ])('extend with %s → 400 validation_failed, expires_at unchanged', async (_label, body) => {
      await expectUnchanged(
        t,
        A,
        () =>
          body === undefined
            ? t.http.post(`/api/reservations/${held.id}/extend`).set(A.auth)
            : extend(t, A, held.id, body),
        400,
        'validation_failed',
      );
    });
  });

  it('a request without or with a wrong API key is 401 and changes nothing', async () => {
    const before = await snapshot(t, A.id);
    const anon = await t.http.post('/api/reservations').send({ lines: [line()] });
    expect(anon.status).toBe(401);
    const wrong = await t.http
      .post('/api/reservations')
      .set('Authorization', 'Bearer nope')
      .send({ lines: [line()] });
    expect(wrong.status).toBe(401);
    expect(await snapshot(t, A.id)).toEqual(before);
  });
});
