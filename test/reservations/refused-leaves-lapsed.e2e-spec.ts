import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newItem, newTenant, snapshot, type TestTenant } from '../support/fixtures.js';
import { lapse, reservationStatus } from '../support/reservations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Freeing lapsed holds is kept only when it lets a request through: a refused request changes nothing. */
describe('lapsed holds and refused reservations', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it('a request still short after freeing lapsed holds leaves them as they were', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const held = await t.http
      .post('/api/reservations')
      .set(tenant.auth)
      .send({ lines: [{ item_id: item.id, quantity: 1 }] })
      .expect(201);
    await lapse(t, held.body.data.id);
    const before = await snapshot(t, tenant.id);
    const res = await t.http
      .post('/api/reservations')
      .set(tenant.auth)
      .send({ lines: [{ item_id: item.id, quantity: 5 }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('insufficient_stock');
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });

  it('a request that the freed units let through keeps the expiry', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const held = await t.http
      .post('/api/reservations')
      .set(tenant.auth)
      .send({ lines: [{ item_id: item.id, quantity: 2 }] })
      .expect(201);
    await lapse(t, held.body.data.id);
    await t.http
      .post('/api/reservations')
      .set(tenant.auth)
      .send({ lines: [{ item_id: item.id, quantity: 2 }] })
      .expect(201);
    expect(await reservationStatus(t, held.body.data.id)).toBe('expired');
  });
});
