import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newItem, newTenant, type TestTenant } from '../support/fixtures.js';
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

  const lapse = (id: string) =>
    t.db.query(`UPDATE reservation SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 second' WHERE id = $1`, [id]);
  const state = async (itemId: string) => ({
    stock: await t.db.query('SELECT on_hand, reserved FROM stock WHERE item_id = $1', [itemId]),
    reservations: await t.db.query(
      `SELECT r.id, r.status FROM reservation r JOIN reservation_line l ON l.reservation_id = r.id WHERE l.item_id = $1 ORDER BY r.id`,
      [itemId],
    ),
    audit: await t.db.query(`SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1`, [tenant.id]),
  });

  it('a request still short after freeing lapsed holds leaves them as they were', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const held = await t.http.post('/api/reservations').set(tenant.auth).send({ lines: [{ item_id: item.id, quantity: 1 }] }).expect(201);
    await lapse(held.body.data.id);
    const before = await state(item.id);
    const res = await t.http.post('/api/reservations').set(tenant.auth).send({ lines: [{ item_id: item.id, quantity: 5 }] });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('insufficient_stock');
    expect(await state(item.id)).toEqual(before);
  });

  it('a request that the freed units let through keeps the expiry', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const held = await t.http.post('/api/reservations').set(tenant.auth).send({ lines: [{ item_id: item.id, quantity: 2 }] }).expect(201);
    await lapse(held.body.data.id);
    await t.http.post('/api/reservations').set(tenant.auth).send({ lines: [{ item_id: item.id, quantity: 2 }] }).expect(201);
    const [row] = await t.db.query('SELECT status FROM reservation WHERE id = $1', [held.body.data.id]);
    expect(row.status).toBe('expired');
  });
});
