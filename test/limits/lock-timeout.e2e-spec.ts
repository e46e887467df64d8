import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { expectUnchanged, type ItemData, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { lockStock, releaseStockLocks } from '../support/stock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const LOCK_TIMEOUT_MS = 300;

describe(`a row lock held longer than DB_LOCK_TIMEOUT_MS (${LOCK_TIMEOUT_MS} ms)`, () => {
  let t: TestApp;
  let tenant: TestTenant;
  let item: ItemData;

  beforeAll(async () => {
    t = await startTestApp({ DB_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS), ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
    item = await newItem(t, tenant, { qty: 10 });
  });
  afterAll(async () => {
    await releaseStockLocks();
    await t.close();
  });

  /** The request must give up after about the lock timeout: a 503, not a hang and not a 500. */
  async function expect503(send: () => PromiseLike<Response>): Promise<void> {
    const started = Date.now();
    await expectUnchanged(t, tenant, send, 503, 'service_unavailable');
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(LOCK_TIMEOUT_MS);
    expect(elapsed).toBeLessThan(5000);
  }

  it('PATCH qty answers 503 service_unavailable and changes nothing; works again once the lock is gone', async () => {
    const unlock = await lockStock(item.id);
    try {
      await expect503(() => t.http.patch(`/api/items/${item.id}/qty`).set(tenant.auth).send({ delta: -1 }));
      await expect503(() => t.http.patch(`/api/items/${item.id}/qty`).set(tenant.auth).send({ delta: 5 }));
    } finally {
      await unlock();
    }
    const res = await t.http.patch(`/api/items/${item.id}/qty`).set(tenant.auth).send({ delta: -1 }).expect(200);
    expect(res.body.data).toMatchObject({ qty: 9, reserved: 0 });
  });

  it('a reservation, an order and an order confirmation answer 503 and change nothing', async () => {
    const pending = await t.http
      .post('/api/orders')
      .set(tenant.auth)
      .send({ currency: 'EUR', lines: [{ item_id: item.id, quantity: 1, unit_price: 100 }] })
      .expect(201);
    const unlock = await lockStock(item.id);
    try {
      await expect503(() =>
        t.http
          .post('/api/reservations')
          .set(tenant.auth)
          .send({ lines: [{ item_id: item.id, quantity: 1 }] }),
      );
      await expect503(() =>
        t.http
          .post('/api/orders')
          .set(tenant.auth)
          .send({ currency: 'EUR', lines: [{ item_id: item.id, quantity: 1, unit_price: 1 }] }),
      );
      await expect503(() =>
        t.http.post(`/api/orders/${pending.body.data.id}/transitions`).set(tenant.auth).send({ to: 'confirmed' }),
      );
    } finally {
      await unlock();
    }
    await t.http
      .post(`/api/orders/${pending.body.data.id}/transitions`)
      .set(tenant.auth)
      .send({ to: 'confirmed' })
      .expect(200);
    const after = await t.http.get(`/api/items/${item.id}`).set(tenant.auth).expect(200);
    expect(after.body.data).toMatchObject({ qty: 8, reserved: 0 });
  });
});
