import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('reservations smoke', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it('reserves, lists, extends, releases', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const res = await t.http
      .post('/api/reservations')
      .set(tenant.auth)
      .send({
        lines: [
          { item_id: item.id, quantity: 2 },
          { item_id: item.id, quantity: 1 },
        ],
        reference: 'cart-1',
      });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      status: 'active',
      reference: 'cart-1',
      lines: [{ item_id: item.id, quantity: 3 }],
    });
    const got = await t.http.get(`/api/items/${item.id}`).set(tenant.auth).expect(200);
    expect(got.body.data).toMatchObject({ qty: 5, reserved: 3, available: 2 });
    const short = await t.http
      .post('/api/reservations')
      .set(tenant.auth)
      .send({ lines: [{ item_id: item.id, quantity: 3 }] });
    expect(short.status).toBe(400);
    expect(short.body).toMatchObject({
      error: 'insufficient_stock',
      details: [{ item_id: item.id, requested: 3, available: 2 }],
    });
    const list = await t.http.get('/api/reservations?status=active&reference=cart-1').set(tenant.auth).expect(200);
    expect(list.body.data).toHaveLength(1);
    await t.http
      .post(`/api/reservations/${res.body.data.id}/extend`)
      .set(tenant.auth)
      .send({ ttl_seconds: 60 })
      .expect(200);
    const rel = await t.http.post(`/api/reservations/${res.body.data.id}/release`).set(tenant.auth).expect(200);
    expect(rel.body.data.status).toBe('released');
    const after = await t.http.get(`/api/items/${item.id}`).set(tenant.auth).expect(200);
    expect(after.body.data).toMatchObject({ reserved: 0, available: 5 });
  });

  it('expires via sweep and via a short reservation', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    const res = await t.http
      .post('/api/reservations')
      .set(tenant.auth)
      .send({ lines: [{ item_id: item.id, quantity: 1 }], ttl_seconds: 1 })
      .expect(201);
    await new Promise((r) => setTimeout(r, 1100));
    const got = await t.http.get(`/api/reservations/${res.body.data.id}`).set(tenant.auth).expect(200);
    expect(got.body.data.status).toBe('expired');
    await t.http
      .post(`/api/reservations/${res.body.data.id}/extend`)
      .set(tenant.auth)
      .send({ ttl_seconds: 60 })
      .expect(400);
    const again = await t.http
      .post('/api/reservations')
      .set(tenant.auth)
      .send({ lines: [{ item_id: item.id, quantity: 1 }] });
    expect(again.status).toBe(201);
  });
});
