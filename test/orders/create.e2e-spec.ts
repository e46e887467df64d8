import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  auditOf,
  expectError,
  expectUnchanged,
  newItem,
  newTenant,
  sendRaw,
  type TestTenant,
} from '../support/fixtures.js';
import { stockOf } from '../support/stock.js';
import { reservationStatus, reserveOk, sendWhileLapsed, sweep } from '../support/reservations.js';
import { createOrder, createOrderOk, getOrder, orderOf, transition, transitionOk } from '../support/orders.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const MAX = Number.MAX_SAFE_INTEGER; // 2^53 - 1
const NO_SUCH = '00000000-0000-4000-8000-000000000000';

let t: TestApp;
let tenant: TestTenant;
beforeAll(async () => {
  t = await startTestApp({ ENABLE_CRON: 'false' });
  tenant = await newTenant(t);
});
afterAll(() => t.close());

describe('creating orders', () => {
  it('from lines: pending, own reservation, server-computed totals, history and audit', async () => {
    const a = await newItem(t, tenant, { qty: 10 });
    const b = await newItem(t, tenant, { qty: 10 });
    const res = await createOrder(t, tenant, {
      currency: 'EUR',
      customer_ref: '  cust-1  ',
      lines: [
        { item_id: a.id, quantity: 2, unit_price: 1299 },
        { item_id: b.id, quantity: 3, unit_price: 0 },
        { item_id: a.id, quantity: 1, unit_price: 1299 }, // same item, same price: merged
      ],
    }).expect(201);
    const order = res.body.data;
    expect(order).toMatchObject({ status: 'pending', currency: 'EUR', total_amount: 3897, customer_ref: 'cust-1' });
    expect(order.lines).toEqual(
      expect.arrayContaining([
        { item_id: a.id, warehouse_id: tenant.defaultWarehouseId, quantity: 3, unit_price: 1299, line_total: 3897 },
        { item_id: b.id, warehouse_id: tenant.defaultWarehouseId, quantity: 3, unit_price: 0, line_total: 0 },
      ]),
    );
    expect(order.lines).toHaveLength(2);
    expect(order.history).toEqual([
      { from: null, to: 'pending', at: expect.any(String), actor: `api_key:${tenant.keyId}`, reason: null },
    ]);
    expect(await getOrder(t, tenant, order.id)).toEqual(order);
    expect(await reservationStatus(t, order.reservation_id)).toBe('active');
    expect(await stockOf(t, a.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 10, reserved: 3 } });
    expect(await auditOf(t, tenant.id, 'order.created', order.id)).toHaveLength(1);
  });

  it('from an active reservation with prices: takes the hold over', async () => {
    const a = await newItem(t, tenant, { qty: 10 });
    const r = await reserveOk(t, tenant, { lines: [{ item_id: a.id, quantity: 4 }] });
    const order = await createOrderOk(t, tenant, {
      currency: 'USD',
      reservation_id: r.id,
      prices: [{ item_id: a.id, unit_price: 25 }],
    });
    expect(order).toMatchObject({
      status: 'pending',
      currency: 'USD',
      total_amount: 100,
      reservation_id: r.id,
      customer_ref: null,
    });
    expect(order.lines).toEqual([
      { item_id: a.id, warehouse_id: tenant.defaultWarehouseId, quantity: 4, unit_price: 25, line_total: 100 },
    ]);
    expect(await stockOf(t, a.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 10, reserved: 4 } }); // no second hold
    await transitionOk(t, tenant, order.id, 'confirmed');
    expect(await stockOf(t, a.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 6, reserved: 0 } });
  });

  it('totals are exact for large amounts, up to 2^53 - 1', async () => {
    const a = await newItem(t, tenant, { qty: 1000 });
    const b = await newItem(t, tenant, { qty: 7 });
    const order = await createOrderOk(t, tenant, {
      currency: 'JPY',
      lines: [
        { item_id: a.id, quantity: 1000, unit_price: 10 ** 12 },
        { item_id: b.id, quantity: 7, unit_price: 999_999_999_999 },
      ],
    });
    const expected = 1000n * 10n ** 12n + 7n * 999_999_999_999n; // 1_006_999_999_999_993
    expect(BigInt(order.total_amount)).toBe(expected);
    expect(order.lines.find((l) => l.item_id === a.id)!.line_total).toBe(10 ** 15);
    expect(order.lines.find((l) => l.item_id === b.id)!.line_total).toBe(6_999_999_999_993);
    expect(BigInt((await getOrder(t, tenant, order.id)).total_amount)).toBe(expected);

    const c = await newItem(t, tenant, { qty: 1 });
    const max = await orderOf(t, tenant, c.id, 1, MAX);
    expect(max.total_amount).toBe(MAX);
    expect(max.lines[0]!.unit_price).toBe(MAX);
  });

  it('a total over 2^53 - 1 is amount_out_of_range, nothing held', async () => {
    const a = await newItem(t, tenant, { qty: 10 });
    const b = await newItem(t, tenant, { qty: 10 });
    await expectUnchanged(
      t,
      tenant,
      () => createOrder(t, tenant, { currency: 'EUR', lines: [{ item_id: a.id, quantity: 2, unit_price: MAX }] }),
      400,
      'amount_out_of_range',
    );
    const half = Math.ceil(MAX / 2);
    await expectUnchanged(
      t,
      tenant,
      () =>
        createOrder(t, tenant, {
          currency: 'EUR',
          lines: [
            { item_id: a.id, quantity: 1, unit_price: half },
            { item_id: b.id, quantity: 1, unit_price: half },
          ],
        }),
      400,
      'amount_out_of_range',
    );
    const r = await reserveOk(t, tenant, { lines: [{ item_id: a.id, quantity: 3 }] });
    await expectUnchanged(
      t,
      tenant,
      () =>
        createOrder(t, tenant, {
          currency: 'EUR',
          reservation_id: r.id,
          prices: [{ item_id: a.id, unit_price: 4 * 10 ** 15 }],
        }),
      400,
      'amount_out_of_range',
    );
    expect(await reservationStatus(t, r.id)).toBe('active');
  });
});

describe('creation errors leave everything unchanged', () => {
  let item: { id: string };
  let other: { id: string };
  beforeAll(async () => {
    item = await newItem(t, tenant, { qty: 50 });
    other = await newItem(t, tenant, { qty: 50 });
  });
  const line = (id: string, quantity = 1, unit_price = 100) => ({ item_id: id, quantity, unit_price });

  it('insufficient_stock, all or nothing, with details', async () => {
    const res = await expectUnchanged(
      t,
      tenant,
      () => createOrder(t, tenant, { currency: 'EUR', lines: [line(other.id, 1), line(item.id, 51)] }),
      400,
      'insufficient_stock',
    );
    expect(res.body.details).toEqual([{ item_id: item.id, requested: 51, available: 50 }]);
  });

  it('unknown item or warehouse is not_found', async () => {
    await expectUnchanged(
      t,
      tenant,
      () => createOrder(t, tenant, { currency: 'EUR', lines: [line(item.id), line(NO_SUCH)] }),
      404,
      'not_found',
    );
    await expectUnchanged(
      t,
      tenant,
      () => createOrder(t, tenant, { currency: 'EUR', lines: [{ ...line(item.id), warehouse_id: NO_SUCH }] }),
      404,
      'not_found',
    );
    await expectUnchanged(
      t,
      tenant,
      () =>
        createOrder(t, tenant, {
          currency: 'EUR',
          reservation_id: NO_SUCH,
          prices: [{ item_id: item.id, unit_price: 1 }],
        }),
      404,
      'not_found',
    );
  });

  it('body shape: lines xor reservation_id, prices only with reservation_id, one price per item', async () => {
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    const prices = [{ item_id: item.id, unit_price: 5 }];
    const bodies: unknown[] = [
      { currency: 'EUR' }, // neither
      { currency: 'EUR', lines: [line(item.id)], reservation_id: r.id, prices }, // both
      { currency: 'EUR', lines: [line(item.id)], reservation_id: r.id },
      { currency: 'EUR', reservation_id: r.id }, // prices missing
      { currency: 'EUR', lines: [line(item.id)], prices },
      { currency: 'EUR', lines: [line(item.id, 1, 100), line(item.id, 1, 101)] }, // two prices
      { currency: 'EUR', reservation_id: r.id, prices: [...prices, { item_id: item.id, unit_price: 6 }] },
      { currency: 'EUR', reservation_id: r.id, prices: [] },
      { currency: 'EUR', lines: [] },
    ];
    for (const body of bodies)
      await expectUnchanged(t, tenant, () => createOrder(t, tenant, body), 400, 'validation_failed');
    expect(await reservationStatus(t, r.id)).toBe('active');
  });

  // ttl_seconds only applies to the order's own hold; with reservation_id it would be silently ignored.
  it('ttl_seconds goes with lines only, like prices with reservation_id only', async () => {
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    const body = {
      currency: 'EUR',
      reservation_id: r.id,
      ttl_seconds: 5,
      prices: [{ item_id: item.id, unit_price: 5 }],
    };
    await expectUnchanged(t, tenant, () => createOrder(t, tenant, body), 400, 'validation_failed');
  });

  it('missing or extra prices for the reservation', async () => {
    const r = await reserveOk(t, tenant, {
      lines: [
        { item_id: item.id, quantity: 1 },
        { item_id: other.id, quantity: 1 },
      ],
    });
    await expectUnchanged(
      t,
      tenant,
      () =>
        createOrder(t, tenant, {
          currency: 'EUR',
          reservation_id: r.id,
          prices: [{ item_id: item.id, unit_price: 5 }],
        }),
      400,
      'validation_failed',
    );
    const extra = [
      { item_id: item.id, unit_price: 5 },
      { item_id: other.id, unit_price: 5 },
      { item_id: NO_SUCH, unit_price: 5 },
    ];
    await expectUnchanged(
      t,
      tenant,
      () => createOrder(t, tenant, { currency: 'EUR', reservation_id: r.id, prices: extra }),
      400,
      'validation_failed',
    );
    await createOrderOk(t, tenant, { currency: 'EUR', reservation_id: r.id, prices: extra.slice(0, 2) }); // the right prices work
  });

  it('field validation: no coercion, unknown fields rejected', async () => {
    const bodies: unknown[] = [
      { currency: 'eur', lines: [line(item.id)] },
      { currency: 'EURO', lines: [line(item.id)] },
      { lines: [line(item.id)] },
      { currency: 'EUR', lines: [{ ...line(item.id), unit_price: -1 }] },
      { currency: 'EUR', lines: [{ ...line(item.id), unit_price: 1.5 }] },
      { currency: 'EUR', lines: [{ ...line(item.id), unit_price: '5' }] },
      { currency: 'EUR', lines: [{ ...line(item.id), unit_price: MAX + 1 }] },
      { currency: 'EUR', lines: [{ item_id: item.id, quantity: 1 }] },
      { currency: 'EUR', lines: [{ ...line(item.id), quantity: 0 }] },
      { currency: 'EUR', lines: [{ ...line(item.id), quantity: true }] },
      { currency: 'EUR', lines: [line(item.id)], total_amount: 1 },
      { currency: 'EUR', lines: [line(item.id)], customer_ref: '' },
      { currency: 'EUR', lines: [line(item.id)], customer_ref: null },
      { currency: 'EUR', lines: [line(item.id)], ttl_seconds: 0 },
      { currency: 'EUR', reservation_id: 'nope', prices: [{ item_id: item.id, unit_price: 1 }] },
    ];
    for (const body of bodies)
      await expectUnchanged(t, tenant, () => createOrder(t, tenant, body), 400, 'validation_failed');
    await expectUnchanged(
      t,
      tenant,
      () => sendRaw(t.http.post('/api/orders').set(tenant.auth), '{"currency":"EUR",'),
      400,
      'invalid_json',
    );
  });

  it('reservation expired, released, committed, or already ordered', async () => {
    const price = (id: string) => [{ item_id: id, unit_price: 7 }];
    // Lapsed but not swept yet, then swept (expired). Sweepers of other test
    // workers may expire a lapsed hold any time, so S' = S is asserted once it is swept.
    const expired = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    const ordersBefore = await t.db.query('SELECT id, status FROM orders WHERE tenant_id = $1 ORDER BY id', [
      tenant.id,
    ]);
    const lapsed = await sendWhileLapsed(t, expired.id, () =>
      createOrder(t, tenant, { currency: 'EUR', reservation_id: expired.id, prices: price(item.id) }),
    );
    expectError(lapsed, 400, 'reservation_expired');
    expect(await t.db.query('SELECT id, status FROM orders WHERE tenant_id = $1 ORDER BY id', [tenant.id])).toEqual(
      ordersBefore,
    );
    await sweep(t);
    expect(await reservationStatus(t, expired.id)).toBe('expired');
    await expectUnchanged(
      t,
      tenant,
      () => createOrder(t, tenant, { currency: 'EUR', reservation_id: expired.id, prices: price(item.id) }),
      400,
      'reservation_expired',
    );

    const released = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    await t.http.post(`/api/reservations/${released.id}/release`).set(tenant.auth).expect(200);
    await expectUnchanged(
      t,
      tenant,
      () => createOrder(t, tenant, { currency: 'EUR', reservation_id: released.id, prices: price(item.id) }),
      400,
      'invalid_transition',
    );

    const confirmed = await orderOf(t, tenant, item.id);
    await transitionOk(t, tenant, confirmed.id, 'confirmed');
    await expectUnchanged(
      t,
      tenant,
      () =>
        createOrder(t, tenant, { currency: 'EUR', reservation_id: confirmed.reservation_id, prices: price(item.id) }),
      400,
      'invalid_transition',
    );

    const pending = await orderOf(t, tenant, item.id);
    await expectUnchanged(
      t,
      tenant,
      () => createOrder(t, tenant, { currency: 'EUR', reservation_id: pending.reservation_id, prices: price(item.id) }),
      400,
      'reservation_in_use',
    );
  });

  it("an order's reservation cannot be released directly", async () => {
    const pending = await orderOf(t, tenant, item.id);
    await expectUnchanged(
      t,
      tenant,
      () => t.http.post(`/api/reservations/${pending.reservation_id}/release`).set(tenant.auth),
      400,
      'invalid_transition',
    );
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    const taken = await createOrderOk(t, tenant, {
      currency: 'EUR',
      reservation_id: r.id,
      prices: [{ item_id: item.id, unit_price: 1 }],
    });
    await expectUnchanged(
      t,
      tenant,
      () => t.http.post(`/api/reservations/${r.id}/release`).set(tenant.auth),
      400,
      'invalid_transition',
    );
    expect((await getOrder(t, tenant, taken.id)).status).toBe('pending');
  });
});

describe('tenant isolation', () => {
  it("tenant B cannot see, move, or order from tenant A's orders and reservations", async () => {
    const b = await newTenant(t);
    const item = await newItem(t, tenant, { qty: 5 });
    const order = await orderOf(t, tenant, item.id, 2);
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    const both = [tenant, b];
    await expectUnchanged(t, both, () => t.http.get(`/api/orders/${order.id}`).set(b.auth), 404, 'not_found');
    for (const to of ['confirmed', 'cancelled']) {
      await expectUnchanged(t, both, () => transition(t, b, order.id, to), 404, 'not_found');
    }
    await expectUnchanged(
      t,
      both,
      () => createOrder(t, b, { currency: 'EUR', reservation_id: r.id, prices: [{ item_id: item.id, unit_price: 1 }] }),
      404,
      'not_found',
    );
    await expectUnchanged(
      t,
      both,
      () =>
        createOrder(t, b, {
          currency: 'EUR',
          reservation_id: order.reservation_id,
          prices: [{ item_id: item.id, unit_price: 1 }],
        }),
      404,
      'not_found',
    );
    await expectUnchanged(
      t,
      both,
      () => createOrder(t, b, { currency: 'EUR', lines: [{ item_id: item.id, quantity: 1, unit_price: 1 }] }),
      404,
      'not_found',
    );
    const list = await t.http.get('/api/orders').set(b.auth).query({ limit: 100 }).expect(200);
    expect(list.body.data).toEqual([]);
    // A's order still works for A.
    await transitionOk(t, tenant, order.id, 'confirmed');
  });
});
