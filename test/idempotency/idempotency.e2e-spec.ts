import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { auditRows, newItem, newTenant, snapshot, type TestTenant } from '../support/fixtures.js';
import { lapse } from '../support/reservations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('Idempotency-Key', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  const reserve = (key: string, body: object) =>
    t.http.post('/api/reservations').set(tenant.auth).set('Idempotency-Key', key).send(body);

  it('replays the first response and changes nothing the second time', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const key = randomUUID();
    const first = await reserve(key, { lines: [{ item_id: item.id, quantity: 2 }] });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const before = await snapshot(t, tenant.id);
    const again = await reserve(key, { lines: [{ item_id: item.id, quantity: 2 }] });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });

  it('20 parallel identical requests with one key: exactly one reservation, every 2xx has the same body', async () => {
    const item = await newItem(t, tenant, { qty: 100 });
    const key = randomUUID();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => reserve(key, { lines: [{ item_id: item.id, quantity: 1 }], reference: key })),
    );
    const ok = responses.filter((r) => r.status === 201);
    const conflicts = responses.filter((r) => r.status === 409);
    expect(ok.length + conflicts.length).toBe(20);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of ok) expect(r.body).toEqual(ok[0]!.body);
    for (const r of conflicts) expect(r.body.error).toBe('idempotency_key_in_use');
    const rows = await t.db.query('SELECT id FROM reservation WHERE tenant_id = $1 AND reference = $2', [
      tenant.id,
      key,
    ]);
    expect(rows).toHaveLength(1);
    const got = await t.http.get(`/api/items/${item.id}`).set(tenant.auth).expect(200);
    expect(got.body.data.reserved).toBe(1);
  });

  it('the same key with a different request is 422 and changes nothing', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const key = randomUUID();
    await reserve(key, { lines: [{ item_id: item.id, quantity: 1 }] }).expect(201);
    const before = await snapshot(t, tenant.id);
    const other = await reserve(key, { lines: [{ item_id: item.id, quantity: 2 }] });
    expect(other.status).toBe(422);
    expect(other.body.error).toBe('idempotency_key_reused');
    const otherPath = await t.http
      .patch(`/api/items/${item.id}/qty`)
      .set(tenant.auth)
      .set('Idempotency-Key', key)
      .send({ delta: 1 });
    expect(otherPath.status).toBe(422);
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });

  it('a domain error is stored and replayed; a validation error stores nothing', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    const key = randomUUID();
    const short = await reserve(key, { lines: [{ item_id: item.id, quantity: 5 }] });
    expect(short.status).toBe(400);
    const replay = await reserve(key, { lines: [{ item_id: item.id, quantity: 5 }] });
    expect(replay.status).toBe(400);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(short.body);

    const key2 = randomUUID();
    await reserve(key2, { lines: [{ item_id: item.id, quantity: true }] }).expect(400);
    const [row] = await t.db.query('SELECT count(*)::int AS n FROM idempotency_key WHERE tenant_id = $1 AND key = $2', [
      tenant.id,
      key2,
    ]);
    expect(row.n).toBe(0);
    await reserve(key2, { lines: [{ item_id: item.id, quantity: 1 }] }).expect(201);
  });

  it('keys are scoped per tenant', async () => {
    const other = await newTenant(t);
    const key = randomUUID();
    const a = await newItem(t, tenant, { qty: 1 });
    const b = await newItem(t, other, { qty: 1 });
    await reserve(key, { lines: [{ item_id: a.id, quantity: 1 }] }).expect(201);
    const res = await t.http
      .post('/api/reservations')
      .set(other.auth)
      .set('Idempotency-Key', key)
      .send({ lines: [{ item_id: b.id, quantity: 1 }] });
    expect(res.status).toBe(201);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
  });

  it('works for PATCH and DELETE, and the effect is audited once', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const key = randomUUID();
    for (let i = 0; i < 3; i++) {
      const res = await t.http
        .patch(`/api/items/${item.id}/qty`)
        .set(tenant.auth)
        .set('Idempotency-Key', key)
        .send({ delta: -1 });
      expect(res.status).toBe(200);
      expect(res.body.data.qty).toBe(4);
    }
    const adjusted = (await auditRows(t, tenant.id, 'stock.adjusted')).filter(
      (r: { object_id: string }) => r.object_id === item.id,
    );
    expect(adjusted).toHaveLength(1);
    const delKey = randomUUID();
    for (let i = 0; i < 2; i++) {
      const res = await t.http.delete(`/api/items/${item.id}`).set(tenant.auth).set('Idempotency-Key', delKey);
      expect(res.status).toBe(204);
    }
  });

  it('rejects a malformed key without storing anything', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    const before = await snapshot(t, tenant.id);
    const res = await reserve('x'.repeat(256), { lines: [{ item_id: item.id, quantity: 1 }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });

  it('a deeply nested body with a key is a 400, not a stack overflow', async () => {
    const nested = `{"currency":"EUR","x":${'['.repeat(20000)}${']'.repeat(20000)}}`;
    const res = await t.http
      .post('/api/orders')
      .set(tenant.auth)
      .set('Idempotency-Key', randomUUID())
      .set('Content-Type', 'application/json')
      .send(nested);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('validation_failed');
  });

  it('an order transition that cancels on expiry replays its 400 and keeps the cancellation', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const order = await t.http
      .post('/api/orders')
      .set(tenant.auth)
      .send({ currency: 'EUR', lines: [{ item_id: item.id, quantity: 2, unit_price: 100 }] })
      .expect(201);
    await lapse(t, order.body.data.reservation_id);
    const key = randomUUID();
    const confirm = () =>
      t.http
        .post(`/api/orders/${order.body.data.id}/transitions`)
        .set(tenant.auth)
        .set('Idempotency-Key', key)
        .send({ to: 'confirmed' });
    const first = await confirm();
    // Another test file's sweep may have expired it first: then the order was already cancelled.
    expect([400]).toContain(first.status);
    const again = await confirm();
    expect(again.status).toBe(first.status);
    expect(again.body).toEqual(first.body);
    const got = await t.http.get(`/api/orders/${order.body.data.id}`).set(tenant.auth).expect(200);
    expect(got.body.data.status).toBe('cancelled');
  });
});
