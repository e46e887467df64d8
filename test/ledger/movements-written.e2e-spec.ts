import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { auditOf, expectUnchanged, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { ledgerOf } from '../support/ledger.js';
import { createOrderOk, orderOf, transitionOk } from '../support/orders.js';
import { assertInvariant, lapse, reserve, reserveOk, sweep } from '../support/reservations.js';
import { newWarehouse } from '../support/stock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// Every path that changes stock writes its movements: type, deltas, after values,
// numbers 1…n per stock row, reference, actor and the request id of the change.

let t: TestApp;
let tenant: TestTenant;
let actor: string;
beforeAll(async () => {
  t = await startTestApp({ ENABLE_CRON: 'false' });
  tenant = await newTenant(t);
  actor = `api_key:${tenant.keyId}`;
});
afterAll(() => t.close());

const rid = () => `ledger-${randomUUID()}`;

/** A movement of the tenant's default warehouse as ledgerOf returns it. */
const movement = (m: Record<string, unknown>) => ({ reason: null, reference: null, actor, ...m });

describe('adjustments', () => {
  it('item create with qty is `received`; PATCH qty is `adjusted`, or `received` / `damaged` with a reference', async () => {
    const w = tenant.defaultWarehouseId;
    const [r1, r2, r3, r4] = [rid(), rid(), rid(), rid()];
    const patch = (id: string, requestId: string, body: object) =>
      t.http.patch(`/api/items/${id}/qty`).set(tenant.auth).set('X-Request-Id', requestId).send(body).expect(200);
    const created = await t.http
      .post('/api/items')
      .set(tenant.auth)
      .set('X-Request-Id', r1)
      .send({ name: `item-${randomUUID()}`, qty: 5 })
      .expect(201);
    const id = created.body.data.id;
    await patch(id, r2, { delta: -1 });
    await patch(id, r3, { delta: 10, type: 'received', reference: 'po:4711', reason: 'delivery' });
    await patch(id, r4, { delta: -2, type: 'damaged', reason: 'dropped' });

    expect(await ledgerOf(t, id)).toEqual([
      movement({
        warehouse_id: w,
        seq: 1,
        type: 'received',
        on_hand_delta: 5,
        reserved_delta: 0,
        on_hand_after: 5,
        reserved_after: 0,
        reason: 'initial stock',
        request_id: r1,
      }),
      movement({
        warehouse_id: w,
        seq: 2,
        type: 'adjusted',
        on_hand_delta: -1,
        reserved_delta: 0,
        on_hand_after: 4,
        reserved_after: 0,
        request_id: r2,
      }),
      movement({
        warehouse_id: w,
        seq: 3,
        type: 'received',
        on_hand_delta: 10,
        reserved_delta: 0,
        on_hand_after: 14,
        reserved_after: 0,
        reason: 'delivery',
        reference: 'po:4711',
        request_id: r3,
      }),
      movement({
        warehouse_id: w,
        seq: 4,
        type: 'damaged',
        on_hand_delta: -2,
        reserved_delta: 0,
        on_hand_after: 12,
        reserved_after: 0,
        reason: 'dropped',
        request_id: r4,
      }),
    ]);
    await assertInvariant(t, tenant.id);
  });

  it('an item created without qty has no movement; its first unit in another warehouse is number 1 there', async () => {
    const item = await newItem(t, tenant);
    expect(await ledgerOf(t, item.id)).toEqual([]);
    const w2 = await newWarehouse(t, tenant);
    const requestId = rid();
    await t.http
      .patch(`/api/items/${item.id}/qty`)
      .set(tenant.auth)
      .set('X-Request-Id', requestId)
      .send({ delta: 3, warehouse_id: w2.id })
      .expect(200);
    expect(await ledgerOf(t, item.id)).toEqual([
      movement({
        warehouse_id: w2.id,
        seq: 1,
        type: 'adjusted',
        on_hand_delta: 3,
        reserved_delta: 0,
        on_hand_after: 3,
        reserved_after: 0,
        request_id: requestId,
      }),
    ]);
  });

  it.each([
    ['received', 0],
    ['received', -1],
    ['damaged', 0],
    ['damaged', 1],
  ])('type %s with delta %d is 400 validation_failed and changes nothing', async (type, delta) => {
    const item = await newItem(t, tenant, { qty: 5 });
    const res = await expectUnchanged(
      t,
      tenant,
      () => t.http.patch(`/api/items/${item.id}/qty`).set(tenant.auth).send({ delta, type }),
      400,
      'validation_failed',
    );
    expect(res.body.details).toEqual([{ field: 'type', message: expect.stringContaining(type) }]);
    expect(await ledgerOf(t, item.id)).toHaveLength(1);
  });
});

describe('reservations', () => {
  it('a hold is `reserved`, its release `released`, both with reference reservation:<id>', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const w = tenant.defaultWarehouseId;
    const [r1, r2] = [rid(), rid()];
    const res = await reserve(t, tenant, { lines: [{ item_id: item.id, quantity: 4 }] }).set('X-Request-Id', r1);
    expect(res.status).toBe(201);
    const id = res.body.data.id;
    await t.http.post(`/api/reservations/${id}/release`).set(tenant.auth).set('X-Request-Id', r2).expect(200);

    expect((await ledgerOf(t, item.id)).slice(1)).toEqual([
      movement({
        warehouse_id: w,
        seq: 2,
        type: 'reserved',
        on_hand_delta: 0,
        reserved_delta: 4,
        on_hand_after: 10,
        reserved_after: 4,
        reference: `reservation:${id}`,
        request_id: r1,
      }),
      movement({
        warehouse_id: w,
        seq: 3,
        type: 'released',
        on_hand_delta: 0,
        reserved_delta: -4,
        on_hand_after: 10,
        reserved_after: 0,
        reference: `reservation:${id}`,
        request_id: r2,
      }),
    ]);
    await assertInvariant(t, tenant.id);
  });

  it('a hold over two warehouses writes one movement per stock row', async () => {
    const w2 = await newWarehouse(t, tenant, { priority: 5 });
    const item = await newItem(t, tenant, { qty: 2 });
    await t.http
      .patch(`/api/items/${item.id}/qty`)
      .set(tenant.auth)
      .send({ delta: 3, warehouse_id: w2.id })
      .expect(200);
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 4 }] });
    const reserved = (await ledgerOf(t, item.id)).filter((m: { type: string }) => m.type === 'reserved');
    expect(reserved).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          warehouse_id: tenant.defaultWarehouseId,
          seq: 2,
          reserved_delta: 2,
          reserved_after: 2,
        }),
        expect.objectContaining({ warehouse_id: w2.id, seq: 2, reserved_delta: 2, reserved_after: 2 }),
      ]),
    );
    expect(reserved.every((m: { reference: string }) => m.reference === `reservation:${r.id}`)).toBe(true);
    await assertInvariant(t, tenant.id);
  });

  it('the sweeper writes `expired`, actor system, with the request id of its sweep', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 2 }] });
    await lapse(t, r.id);
    await sweep(t);
    const [audit] = await auditOf(t, tenant.id, 'reservation.expired', r.id);
    expect(audit).toBeDefined();
    expect((await ledgerOf(t, item.id)).at(-1)).toEqual(
      movement({
        warehouse_id: tenant.defaultWarehouseId,
        seq: 3,
        type: 'expired',
        on_hand_delta: 0,
        reserved_delta: -2,
        on_hand_after: 3,
        reserved_after: 0,
        reference: `reservation:${r.id}`,
        actor: 'system',
        request_id: audit.request_id,
      }),
    );
    await assertInvariant(t, tenant.id);
  });

  it('a group-committed batch of 30 holds on one item numbers its movements 1…31 without a gap', async () => {
    const item = await newItem(t, tenant, { qty: 100 });
    const ids = Array.from({ length: 30 }, rid);
    const responses = await Promise.all(
      ids.map((requestId) =>
        reserve(t, tenant, { lines: [{ item_id: item.id, quantity: 1 + (ids.indexOf(requestId) % 3) }] }).set(
          'X-Request-Id',
          requestId,
        ),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(ids.map(() => 201));
    const ledger = await ledgerOf(t, item.id);
    expect(ledger.map((m: { seq: number }) => m.seq)).toEqual(Array.from({ length: 31 }, (_, i) => i + 1));
    // Each request's hold is the movement with its reference and its request id, and the chain adds up.
    const byRequest = new Map(ledger.map((m: { request_id: string }) => [m.request_id, m]));
    for (const [i, res] of responses.entries()) {
      expect(byRequest.get(ids[i]!)).toMatchObject({
        type: 'reserved',
        reserved_delta: 1 + (i % 3),
        reference: `reservation:${res.body.data.id}`,
      });
    }
    let reserved = 0;
    for (const m of ledger.slice(1)) {
      reserved += m.reserved_delta;
      expect(m).toMatchObject({ on_hand_after: 100, reserved_after: reserved });
    }
    // Group-committed indeed: holds of one batch share its transaction's timestamp.
    const batches = await t.db.query(
      `SELECT count(DISTINCT created_at)::int AS n FROM stock_movement WHERE item_id = $1 AND type = 'reserved'`,
      [item.id],
    );
    expect(batches[0].n).toBeLessThan(30);
    await assertInvariant(t, tenant.id);
  });
});

describe('orders', () => {
  it('confirm is `committed` (on_hand and reserved down together), cancel from confirmed `restocked`, reference order:<id>', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const order = await orderOf(t, tenant, item.id, 3);
    await transitionOk(t, tenant, order.id, 'confirmed');
    await transitionOk(t, tenant, order.id, 'cancelled');
    const w = tenant.defaultWarehouseId;
    expect((await ledgerOf(t, item.id)).slice(1)).toEqual([
      expect.objectContaining({
        warehouse_id: w,
        seq: 2,
        type: 'reserved',
        on_hand_delta: 0,
        reserved_delta: 3,
        on_hand_after: 10,
        reserved_after: 3,
        reference: `reservation:${order.reservation_id}`,
        actor,
      }),
      expect.objectContaining({
        warehouse_id: w,
        seq: 3,
        type: 'committed',
        on_hand_delta: -3,
        reserved_delta: -3,
        on_hand_after: 7,
        reserved_after: 0,
        reference: `order:${order.id}`,
        actor,
      }),
      expect.objectContaining({
        warehouse_id: w,
        seq: 4,
        type: 'restocked',
        on_hand_delta: 3,
        reserved_delta: 0,
        on_hand_after: 10,
        reserved_after: 0,
        reference: `order:${order.id}`,
        actor,
      }),
    ]);
    await assertInvariant(t, tenant.id);
  });

  it('each transition records its own request id; cancel from pending is `released`', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const order = await orderOf(t, tenant, item.id, 2);
    const requestId = rid();
    await t.http
      .post(`/api/orders/${order.id}/transitions`)
      .set(tenant.auth)
      .set('X-Request-Id', requestId)
      .send({ to: 'cancelled' })
      .expect(200);
    expect((await ledgerOf(t, item.id)).at(-1)).toEqual(
      movement({
        warehouse_id: tenant.defaultWarehouseId,
        seq: 3,
        type: 'released',
        on_hand_delta: 0,
        reserved_delta: -2,
        on_hand_after: 10,
        reserved_after: 0,
        reference: `order:${order.id}`,
        request_id: requestId,
      }),
    );
    await assertInvariant(t, tenant.id);
  });

  it('a pending order auto-cancelled by expiry: one `expired` movement of its hold, by the system', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 2 }] });
    const order = await createOrderOk(t, tenant, {
      currency: 'EUR',
      reservation_id: r.id,
      prices: [{ item_id: item.id, unit_price: 100 }],
    });
    await lapse(t, r.id);
    await sweep(t);
    const ledger = await ledgerOf(t, item.id);
    expect(ledger.map((m: { type: string }) => m.type)).toEqual(['received', 'reserved', 'expired']);
    expect(ledger[2]).toMatchObject({
      reserved_delta: -2,
      reserved_after: 0,
      on_hand_after: 5,
      actor: 'system',
      reference: `reservation:${r.id}`,
    });
    const [cancel] = await auditOf(t, tenant.id, 'order.status_changed', order.id);
    expect(cancel).toMatchObject({
      actor: 'system',
      new_value: { status: 'cancelled', reason: 'reservation_expired' },
    });
    await assertInvariant(t, tenant.id);
  });
});
