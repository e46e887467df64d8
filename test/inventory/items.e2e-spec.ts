import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { auditRows, newItem, newTenant, snapshot, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('items', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it('creates an item with initial stock in the default warehouse', async () => {
    const res = await t.http
      .post('/api/items')
      .set(tenant.auth)
      .send({ name: '  apple  ', qty: 5, sku: 'APPLE-1', description: 'red' })
      .expect(201);
    expect(res.body.request_id).toEqual(res.headers['x-request-id']);
    expect(res.body.data).toMatchObject({
      name: 'apple',
      sku: 'APPLE-1',
      description: 'red',
      qty: 5,
      reserved: 0,
      available: 5,
      stock: [{ warehouse_id: tenant.defaultWarehouseId, warehouse_code: 'default', on_hand: 5, reserved: 0, available: 5 }],
    });
    const [audit] = await auditRows(t, tenant.id, 'item.created');
    expect(audit).toMatchObject({ object_id: res.body.data.id, actor: `api_key:${tenant.keyId}` });
  });

  it('adjusts quantity with a guarded delta and audits it', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const res = await t.http
      .patch(`/api/items/${item.id}/qty`)
      .set(tenant.auth)
      .set('X-Request-Id', 'req-adjust-1')
      .send({ delta: -2, reason: 'damaged' })
      .expect(200);
    expect(res.body.data).toMatchObject({ qty: 3, available: 3 });
    const rows = await auditRows(t, tenant.id, 'stock.adjusted');
    const row = rows.find((r: { object_id: string }) => r.object_id === item.id);
    expect(row).toMatchObject({
      request_id: 'req-adjust-1',
      old_value: { on_hand: 5, reserved: 0, warehouse_id: tenant.defaultWarehouseId },
      new_value: { on_hand: 3, reserved: 0, delta: -2, reason: 'damaged' },
    });
  });

  it('refuses to go below zero and changes nothing', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    const before = await snapshot(t, tenant.id);
    const res = await t.http.patch(`/api/items/${item.id}/qty`).set(tenant.auth).send({ delta: -2 }).expect(400);
    expect(res.body).toMatchObject({ error: 'insufficient_stock', message: 'qty cannot go below 0' });
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });
});
