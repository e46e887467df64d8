import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  adjustQty,
  auditOf,
  expectUnchanged,
  newItem,
  newTenant,
  readItem,
  type TestTenant,
} from '../support/fixtures.js';
import { createOrder, createOrderOk } from '../support/orders.js';
import { reserve, reserveOk } from '../support/reservations.js';
import { addStock, newWarehouse, reservedByWarehouse, updateWarehouse } from '../support/stock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('PATCH /api/warehouses/:id', () => {
  let t: TestApp;
  let A: TestTenant;
  let B: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    A = await newTenant(t);
    B = await newTenant(t);
  });
  afterAll(() => t.close());

  it('changes name, priority and active; audits the old and new values of what changed', async () => {
    const w = await newWarehouse(t, A, { name: 'Berlin', priority: 1 });
    const res = await updateWarehouse(t, A, w.id, { name: '  Berlin Mitte ', priority: 3, active: false }).expect(200);
    expect(res.body.data).toEqual({ ...w, name: 'Berlin Mitte', priority: 3, active: false });
    expect((await t.http.get(`/api/warehouses/${w.id}`).set(A.auth).expect(200)).body.data).toEqual(res.body.data);
    expect(await auditOf(t, A.id, 'warehouse.updated', w.id)).toEqual([
      expect.objectContaining({
        actor: `api_key:${A.keyId}`,
        request_id: res.headers['x-request-id'],
        old_value: { name: 'Berlin', priority: 1, active: true },
        new_value: { name: 'Berlin Mitte', priority: 3, active: false },
      }),
    ]);
    // Only what changes is written and audited; a request that changes nothing writes nothing.
    await updateWarehouse(t, A, w.id, { name: 'Berlin Mitte', active: true }).expect(200);
    await updateWarehouse(t, A, w.id, { active: true, priority: 3 }).expect(200);
    expect((await auditOf(t, A.id, 'warehouse.updated', w.id)).map((r: { new_value: unknown }) => r.new_value)).toEqual(
      [{ name: 'Berlin Mitte', priority: 3, active: false }, { active: true }],
    );
  });

  it.each<[string, unknown]>([
    ['an empty body', {}],
    ['active "false"', { active: 'false' }],
    ['active 0', { active: 0 }],
    ['active null', { active: null }],
    ['name null', { name: null }],
    ['a blank name', { name: '  ' }],
    ['priority 1.5', { priority: 1.5 }],
    ['priority above 1e6', { priority: 1_000_001 }],
    ['code (cannot change)', { code: 'NEW' }],
    ['is_default', { is_default: true }],
  ])('%s → 400 validation_failed, nothing changes', async (_label, body) => {
    const w = await newWarehouse(t, A);
    await expectUnchanged(t, [A, B], () => updateWarehouse(t, A, w.id, body), 400, 'validation_failed');
  });

  it("unknown, non-UUID and another tenant's ids are 404, nothing changes", async () => {
    const theirs = await newWarehouse(t, B);
    for (const id of [randomUUID(), 'not-a-uuid', theirs.id]) {
      await expectUnchanged(t, [A, B], () => updateWarehouse(t, A, id, { active: false }), 404, 'not_found');
    }
  });

  it('Idempotency-Key: the same PATCH again is replayed (one audit row); another body with the key is 422', async () => {
    const w = await newWarehouse(t, A);
    const key = `wh-${randomUUID()}`;
    const send = (body: object) =>
      t.http.patch(`/api/warehouses/${w.id}`).set(A.auth).set('Idempotency-Key', key).send(body);
    const first = await send({ priority: 7 });
    expect(first.status).toBe(200);
    const again = await send({ priority: 7 });
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await auditOf(t, A.id, 'warehouse.updated', w.id)).toHaveLength(1);
    await expectUnchanged(t, A, () => send({ priority: 8 }), 422, 'idempotency_key_reused');
  });

  describe('active: false', () => {
    it('allocation passes it over, its stock stays visible and adjustable, and active: true brings it back', async () => {
      const first = await newWarehouse(t, A, { priority: -10 });
      const item = await newItem(t, A, { qty: 3 }); // 3 in the default warehouse (priority 0)
      await addStock(t, A, item.id, 5, first.id);
      await updateWarehouse(t, A, first.id, { active: false }).expect(200);

      const r = await reserveOk(t, A, { lines: [{ item_id: item.id, quantity: 2 }] });
      expect(r.lines).toEqual([{ item_id: item.id, warehouse_id: A.defaultWarehouseId, quantity: 2 }]);
      const order = await createOrderOk(t, A, {
        currency: 'EUR',
        lines: [{ item_id: item.id, quantity: 1, unit_price: 1 }],
      });
      expect(order.lines.map((l) => l.warehouse_id)).toEqual([A.defaultWarehouseId]);

      // Only the default warehouse's units can be allocated now: 0 left there.
      const short = await expectUnchanged(
        t,
        A,
        () => reserve(t, A, { lines: [{ item_id: item.id, quantity: 1 }] }),
        400,
        'insufficient_stock',
      );
      expect(short.body.details).toEqual([{ item_id: item.id, requested: 1, available: 0 }]);

      // Still visible and adjustable.
      const view = await readItem(t, A, item.id);
      expect(view.stock).toContainEqual(expect.objectContaining({ warehouse_id: first.id, on_hand: 5 }));
      await adjustQty(t, A, item.id, { delta: -1, warehouse_id: first.id }).expect(200);

      await updateWarehouse(t, A, first.id, { active: true }).expect(200);
      const back = await reserveOk(t, A, { lines: [{ item_id: item.id, quantity: 4 }] });
      expect(back.lines).toEqual([{ item_id: item.id, warehouse_id: first.id, quantity: 4 }]);
    });

    it('a line naming it (by id or by code) is 400 warehouse_inactive, and nothing changes', async () => {
      const w = await newWarehouse(t, A);
      const item = await newItem(t, A, { qty: 5 });
      await addStock(t, A, item.id, 5, w.id);
      const empty = await newWarehouse(t, A); // no stock of the item there
      await updateWarehouse(t, A, w.id, { active: false }).expect(200);
      await updateWarehouse(t, A, empty.id, { active: false }).expect(200);

      const byId = await expectUnchanged(
        t,
        A,
        () => reserve(t, A, { lines: [{ item_id: item.id, quantity: 1, warehouse_id: w.id }] }),
        400,
        'warehouse_inactive',
      );
      expect(byId.body.details).toEqual([{ warehouse_id: w.id }]);
      await expectUnchanged(
        t,
        A,
        () => reserve(t, A, { lines: [{ item_id: item.id, quantity: 1, warehouse_code: empty.code }] }),
        400,
        'warehouse_inactive',
      );
      await expectUnchanged(
        t,
        A,
        () =>
          createOrder(t, A, {
            currency: 'EUR',
            lines: [{ item_id: item.id, quantity: 1, unit_price: 1, warehouse_code: w.code }],
          }),
        400,
        'warehouse_inactive',
      );
      expect((await reservedByWarehouse(t, item.id))[w.id]).toBe(0);
    });
  });
});
