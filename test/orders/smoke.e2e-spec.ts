import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('orders smoke', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it('creates, confirms, ships, delivers; cancel from confirmed restocks', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const created = await t.http
      .post('/api/orders')
      .set(tenant.auth)
      .send({ currency: 'EUR', customer_ref: 'c-1', lines: [{ item_id: item.id, quantity: 2, unit_price: 1299 }] });
    expect(created.status).toBe(201);
    expect(created.body.data).toMatchObject({
      status: 'pending',
      total_amount: 2598,
      lines: [{ quantity: 2, line_total: 2598 }],
    });
    const id = created.body.data.id;
    const confirmed = await t.http.post(`/api/orders/${id}/transitions`).set(tenant.auth).send({ to: 'confirmed' });
    expect(confirmed.status).toBe(200);
    expect((await t.http.get(`/api/items/${item.id}`).set(tenant.auth)).body.data).toMatchObject({
      qty: 8,
      reserved: 0,
    });
    const again = await t.http.post(`/api/orders/${id}/transitions`).set(tenant.auth).send({ to: 'confirmed' });
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({
      error: 'invalid_transition',
      details: [{ current_status: 'confirmed', allowed: ['processing', 'cancelled'] }],
    });
    await t.http.post(`/api/orders/${id}/transitions`).set(tenant.auth).send({ to: 'cancelled' }).expect(200);
    expect((await t.http.get(`/api/items/${item.id}`).set(tenant.auth)).body.data).toMatchObject({
      qty: 10,
      reserved: 0,
    });
    const got = await t.http.get(`/api/orders/${id}`).set(tenant.auth).expect(200);
    expect(got.body.data.history.map((h: { to: string }) => h.to)).toEqual(['pending', 'confirmed', 'cancelled']);
    const list = await t.http
      .get('/api/orders?sort=highest_value&status=cancelled,pending')
      .set(tenant.auth)
      .expect(200);
    expect(list.body.data[0].id).toBe(id);
  });
});
