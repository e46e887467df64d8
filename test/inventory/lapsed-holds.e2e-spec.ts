import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  adjustQty,
  auditOf,
  expectUnchanged,
  newItem,
  newTenant,
  tally,
  type TestTenant,
} from '../support/fixtures.js';
import { newWarehouse, putStockBySql, stockOf } from '../support/stock.js';
import { assertInvariant, lapse, reservationStatus, reserveOk, sweep } from '../support/reservations.js';
import { getOrder, orderOf } from '../support/orders.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * A hold past its expiry is expired for every read and transition at once, not
 * only for reservations: item reads do not count it, and an adjustment or a
 * delete it would block frees it first (issue 11, defect 4). The sweeper is off.
 */
describe('lapsed holds and items', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  const getItem = (id: string) => t.http.get(`/api/items/${id}`).set(tenant.auth).expect(200);
  const deleteItem = (id: string) => t.http.delete(`/api/items/${id}`).set(tenant.auth);
  const hold = (itemId: string, quantity: number) => reserveOk(t, tenant, { lines: [{ item_id: itemId, quantity }] });

  it('item reads do not count a lapsed hold as reserved (get and list)', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const r = await hold(item.id, 5);
    await lapse(t, r.id);
    const one = (await getItem(item.id)).body.data;
    expect(one).toMatchObject({ qty: 5, reserved: 0, available: 5 });
    expect(one.stock).toEqual([expect.objectContaining({ on_hand: 5, reserved: 0, available: 5 })]);
    const list = await t.http.get('/api/items').set(tenant.auth).query({ name: item.name }).expect(200);
    expect(list.body.data).toEqual([one]);
    // A read changes nothing: the hold is still active in the table until someone needs its units.
    expect(await reservationStatus(t, r.id)).toBe('active');
  });

  it('item reads subtract only the lapsed lines of each stock row', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const w2 = (await newWarehouse(t, tenant, { priority: 1000 })).id;
    await putStockBySql(t, tenant, item.id, w2, 4);
    const lapsed = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 12 }] }); // 10 in default, 2 in w2
    const live = await hold(item.id, 1); // w2
    await lapse(t, lapsed.id);
    const view = (await getItem(item.id)).body.data;
    expect(view).toMatchObject({ qty: 14, reserved: 1, available: 13 });
    const byWarehouse = Object.fromEntries(
      view.stock.map((s: any) => [s.warehouse_id, [s.on_hand, s.reserved, s.available]]),
    );
    expect(byWarehouse).toEqual({ [tenant.defaultWarehouseId]: [10, 0, 10], [w2]: [4, 1, 3] });
    expect(await reservationStatus(t, live.id)).toBe('active');
  });

  it('an adjustment a lapsed hold would block frees it and succeeds; the expiry is audited with its request id', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const r = await hold(item.id, 5);
    await lapse(t, r.id);
    const res = await adjustQty(t, tenant, item.id, { delta: -1 }).set('X-Request-Id', `adjust-${r.id}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ qty: 4, reserved: 0, available: 4 });
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 4, reserved: 0 } });
    expect(await reservationStatus(t, r.id)).toBe('expired');
    const [expired] = await t.db.query(
      `SELECT request_id FROM audit_log WHERE action = 'reservation.expired' AND object_id = $1`,
      [r.id],
    );
    expect(expired.request_id).toBe(`adjust-${r.id}`);
  });

  it('freeing a lapsed hold returns its units on every stock row it held, also of other items', async () => {
    const a = await newItem(t, tenant, { qty: 3 });
    const b = await newItem(t, tenant, { qty: 3 });
    const r = await reserveOk(t, tenant, {
      lines: [
        { item_id: a.id, quantity: 3 },
        { item_id: b.id, quantity: 2 },
      ],
    });
    await lapse(t, r.id);
    await adjustQty(t, tenant, a.id, { delta: -3 }).expect(200);
    expect(await stockOf(t, a.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 0, reserved: 0 } });
    expect(await stockOf(t, b.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 3, reserved: 0 } });
    expect(await reservationStatus(t, r.id)).toBe('expired');
  });

  it('an adjustment still short after freeing lapsed holds is refused and leaves them as they were', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const lapsed = await hold(item.id, 3);
    await hold(item.id, 2);
    await lapse(t, lapsed.id);
    // 3 units are available once the lapsed hold is freed: 4 is still too many.
    await expectUnchanged(t, tenant, () => adjustQty(t, tenant, item.id, { delta: -4 }), 400, 'insufficient_stock');
    expect(await reservationStatus(t, lapsed.id)).toBe('active');
    await adjustQty(t, tenant, item.id, { delta: -3 }).expect(200);
    expect(await reservationStatus(t, lapsed.id)).toBe('expired');
  });

  it('a delete a lapsed hold would block frees it and deletes', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const r = await hold(item.id, 5);
    await lapse(t, r.id);
    await deleteItem(item.id).expect(204);
    await t.http.get(`/api/items/${item.id}`).set(tenant.auth).expect(404);
    expect(await reservationStatus(t, r.id)).toBe('expired');
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 5, reserved: 0 } });
    expect(await auditOf(t, tenant.id, 'item.deleted', item.id)).toHaveLength(1);
  });

  it('a delete frees the lapsed hold of a pending order and cancels the order with it', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const order = await orderOf(t, tenant, item.id, 2);
    await lapse(t, order.reservation_id);
    await deleteItem(item.id).expect(204);
    const got = await getOrder(t, tenant, order.id);
    expect(got.status).toBe('cancelled');
    expect(got.history!.at(-1)).toMatchObject({ from: 'pending', to: 'cancelled', reason: 'reservation_expired' });
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 5, reserved: 0 } });
  });

  it('a delete still blocked by a live hold is refused and leaves the lapsed one as it was', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const lapsed = await hold(item.id, 3);
    await hold(item.id, 1);
    await lapse(t, lapsed.id);
    await expectUnchanged(t, tenant, () => deleteItem(item.id), 400, 'item_in_use');
    expect(await reservationStatus(t, lapsed.id)).toBe('active');
  });

  it('with an Idempotency-Key (a savepoint in the request transaction) the same rules hold, and replay', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const lapsed = await hold(item.id, 3);
    await hold(item.id, 2);
    await lapse(t, lapsed.id);
    const refuse = () => adjustQty(t, tenant, item.id, { delta: -4 }).set('Idempotency-Key', `short-${item.id}`);
    await expectUnchanged(t, tenant, refuse, 400, 'insufficient_stock');
    const replay = await refuse();
    expect({ status: replay.status, replayed: replay.headers['idempotent-replayed'] }).toEqual({
      status: 400,
      replayed: 'true',
    });
    expect(await reservationStatus(t, lapsed.id)).toBe('active');

    const accept = () => adjustQty(t, tenant, item.id, { delta: -3 }).set('Idempotency-Key', `fits-${item.id}`);
    expect((await accept()).status).toBe(200);
    expect((await accept()).headers['idempotent-replayed']).toBe('true');
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 2, reserved: 2 } });
    expect(await reservationStatus(t, lapsed.id)).toBe('expired');
  });

  it('parallel adjustments and a delete free a lapsed hold exactly once: exactly the free units go', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const lapsed = await hold(item.id, 6);
    await hold(item.id, 2);
    await lapse(t, lapsed.id);
    const [adjusts, deleted] = await Promise.all([
      Promise.all(Array.from({ length: 12 }, () => adjustQty(t, tenant, item.id, { delta: -1 }))),
      deleteItem(item.id),
    ]);
    // 8 units are free once the lapsed hold is gone; the live hold keeps the item from being deleted.
    expect(tally(adjusts)).toEqual({ '200': 8, '400 insufficient_stock': 4 });
    expect(deleted.status).toBe(400);
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 2, reserved: 2 } });
    expect(await auditOf(t, tenant.id, 'reservation.expired', lapsed.id)).toHaveLength(1);
    await assertInvariant(t, tenant.id);
  });

  /**
   * Freeing never waits: a hold the sweeper has claimed is left to it, so some
   * requests may be refused meanwhile. Nothing is released twice, and what is
   * still lapsed afterwards is freed by the next request.
   */
  it('with a sweep racing them: no hold released twice, units never lost', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const lapsed = await hold(item.id, 6);
    await hold(item.id, 2);
    await lapse(t, lapsed.id);
    const [adjusts] = await Promise.all([
      Promise.all(Array.from({ length: 12 }, () => adjustQty(t, tenant, item.id, { delta: -1 }))),
      sweep(t),
      deleteItem(item.id),
    ]);
    const taken = adjusts.filter((r) => r.status === 200).length;
    expect(Object.keys(tally(adjusts)).filter((k) => k !== '200' && k !== '400 insufficient_stock')).toEqual([]);
    expect(taken).toBeLessThanOrEqual(8);
    if (taken < 8) await adjustQty(t, tenant, item.id, { delta: taken - 8 }).expect(200);
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 2, reserved: 2 } });
    expect(await auditOf(t, tenant.id, 'reservation.expired', lapsed.id)).toHaveLength(1);
    await assertInvariant(t, tenant.id);
  });
});
