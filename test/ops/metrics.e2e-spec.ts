import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { expectError, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { lapse, sweep } from '../support/reservations.js';
import { onDatabase } from '../support/util.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { EXPOSITION_LINE, sample } from './support/prometheus.js';

const scrape = async (t: TestApp) => (await t.http.get('/metrics').expect(200)).text;

/** Runs `act` and returns how much each named counter moved in between. */
async function delta(t: TestApp, act: () => Promise<unknown>, ...series: [string, Record<string, string>?][]) {
  const before = await scrape(t);
  await act();
  const after = await scrape(t);
  return series.map(([name, labels]) => sample(after, name, labels) - sample(before, name, labels));
}

describe('GET /metrics', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  const reserve = (itemId: string, quantity: number) =>
    t.http
      .post('/api/reservations')
      .set(tenant.auth)
      .send({ lines: [{ item_id: itemId, quantity }] });

  it('speaks the Prometheus text format, outside /api and the JSON envelope, without an API key', async () => {
    const res = await t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    for (const line of res.text.split('\n')) expect(line).toMatch(EXPOSITION_LINE);
    for (const name of [
      'http_request_duration_seconds',
      'inventory_reservations_created_total',
      'inventory_reservations_released_total',
      'inventory_reservations_expired_total',
      'inventory_reservations_committed_total',
      'inventory_insufficient_stock_total',
      'inventory_order_transitions_total',
      'inventory_expiry_sweeps_total',
      'inventory_expired_holds_oldest_age_seconds',
      'inventory_db_pool_connections_in_use',
      'inventory_db_pool_waiting_requests',
      'process_cpu_user_seconds_total',
    ]) {
      expect(res.text).toContain(`# TYPE ${name} `);
    }
    expectError(await t.http.get('/api/metrics'), 404, 'not_found');
  });

  it('times requests by method, route template and status, never by raw URL', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    await t.http.get(`/api/items/${item.id}`).set(tenant.auth).expect(200);
    await t.http.get(`/api/items/${randomUUID()}`).set(tenant.auth).expect(404);
    await t.http.get(`/no/such/${randomUUID()}`).expect(404);
    const text = await scrape(t);
    const count = (labels: Record<string, string>) => sample(text, 'http_request_duration_seconds_count', labels);
    expect(count({ method: 'GET', route: '/api/items/:id', status_code: '200' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'GET', route: '/api/items/:id', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'POST', route: '/api/items', status_code: '201' })).toBeGreaterThanOrEqual(1);
    expect(count({ method: 'GET', route: '(unmatched)', status_code: '404' })).toBeGreaterThanOrEqual(1);
    expect(text).not.toContain(item.id);
    expect(text).not.toContain('/no/such');
  });

  it('counts reservations created, released, refused for stock, committed and expired, and order transitions', async () => {
    const item = await newItem(t, tenant, { qty: 10 });

    let held = '';
    expect(
      await delta(t, async () => {
        held = (await reserve(item.id, 2).expect(201)).body.data.id;
      }, ['inventory_reservations_created_total']),
    ).toEqual([1]);

    expect(
      await delta(t, () => t.http.post(`/api/reservations/${held}/release`).set(tenant.auth).expect(200), [
        'inventory_reservations_released_total',
      ]),
    ).toEqual([1]);
    // Releasing again changes nothing, and counts nothing.
    expect(
      await delta(t, () => t.http.post(`/api/reservations/${held}/release`).set(tenant.auth).expect(200), [
        'inventory_reservations_released_total',
      ]),
    ).toEqual([0]);

    expect(
      await delta(t, () => reserve(item.id, 11).expect(400), [
        'inventory_insufficient_stock_total',
        { route: '/api/reservations' },
      ]),
    ).toEqual([1]);
    expect(
      await delta(
        t,
        () => t.http.patch(`/api/items/${item.id}/qty`).set(tenant.auth).send({ delta: -11 }).expect(400),
        ['inventory_insufficient_stock_total', { route: '/api/items/:id/qty' }],
      ),
    ).toEqual([1]);

    let orderId = '';
    expect(
      await delta(
        t,
        async () => {
          const res = await t.http
            .post('/api/orders')
            .set(tenant.auth)
            .send({ currency: 'EUR', lines: [{ item_id: item.id, quantity: 1, unit_price: 100 }] })
            .expect(201);
          orderId = res.body.data.id;
        },
        ['inventory_reservations_created_total'],
        ['inventory_order_transitions_total', { from: 'none', to: 'pending' }],
      ),
    ).toEqual([1, 1]);

    expect(
      await delta(
        t,
        () => t.http.post(`/api/orders/${orderId}/transitions`).set(tenant.auth).send({ to: 'confirmed' }).expect(200),
        ['inventory_reservations_committed_total'],
        ['inventory_order_transitions_total', { from: 'pending', to: 'confirmed' }],
      ),
    ).toEqual([1, 1]);
  });

  it('counts expiries and the orders the system cancels with them', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const order = (
      await t.http
        .post('/api/orders')
        .set(tenant.auth)
        .send({ currency: 'EUR', lines: [{ item_id: item.id, quantity: 1, unit_price: 100 }] })
        .expect(201)
    ).body.data;
    const [moved] = await delta(t, async () => {
      await lapse(t, order.reservation_id);
      await sweep(t);
      const [row] = await t.db.query('SELECT status FROM orders WHERE id = $1', [order.id]);
      expect(row.status).toBe('cancelled');
    }, ['inventory_order_transitions_total', { from: 'pending', to: 'cancelled' }]);
    // Sweepers of other test workers may sweep it first; then this instance does not count it.
    const text = await scrape(t);
    expect(moved).toBeLessThanOrEqual(1);
    expect(sample(text, 'inventory_reservations_expired_total')).toBeGreaterThanOrEqual(moved);
  });

  it('counts nothing for a change that rolled back', async () => {
    // The order reserves its lines, then refuses its total: the reservation is rolled back with it.
    const item = await newItem(t, tenant, { qty: 1_000_000 });
    const [created, pending] = await delta(
      t,
      async () => {
        const res = await t.http
          .post('/api/orders')
          .set(tenant.auth)
          .send({
            currency: 'EUR',
            lines: [{ item_id: item.id, quantity: 1_000_000, unit_price: Number.MAX_SAFE_INTEGER }],
          });
        expectError(res, 400, 'amount_out_of_range');
      },
      ['inventory_reservations_created_total'],
      ['inventory_order_transitions_total', { from: 'none', to: 'pending' }],
    );
    expect([created, pending]).toEqual([0, 0]);
  });

  it('reports the age of the oldest expired hold the sweeper has not reached yet', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    const id = (await reserve(item.id, 1).expect(201)).body.data.id;
    await lapse(t, id, 300);
    // Hold the row locked: sweepers skip locked rows, so it stays unswept while we look.
    const runner = t.db.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const [row] = await runner.query(`SELECT status FROM reservation WHERE id = $1 FOR UPDATE`, [id]);
      expect(row.status).toBe('active');
      const age = sample(await scrape(t), 'inventory_expired_holds_oldest_age_seconds');
      expect(age).toBeGreaterThanOrEqual(299);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('counts scheduled sweeper runs', async () => {
    // A sweeper every second, only for as long as this test needs one, on a database of
    // its own: the cron sweeps every tenant, and other test files' holds must stay as they are.
    const dbName = `metrics_${Date.now()}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const ticking = await startTestApp({
      ...onDatabase(dbName),
      ENABLE_CRON: 'true',
      RESERVATION_SWEEP_CRON: '* * * * * *',
    });
    try {
      let runs = 0;
      for (let i = 0; i < 50 && runs === 0; i++) {
        runs = sample(await scrape(ticking), 'inventory_expiry_sweeps_total', { outcome: 'ok' });
        if (runs === 0) await new Promise((r) => setTimeout(r, 100));
      }
      expect(runs).toBeGreaterThanOrEqual(1);
      expect(sample(await scrape(ticking), 'inventory_expiry_sweeps_total', { outcome: 'error' })).toBe(0);
    } finally {
      await ticking.close();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  });

  it('reports the database pool', async () => {
    const text = await scrape(t);
    expect(sample(text, 'inventory_db_pool_connections_max')).toBe(10);
    expect(sample(text, 'inventory_db_pool_connections_in_use')).toBeGreaterThanOrEqual(0);
    expect(sample(text, 'inventory_db_pool_waiting_requests')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^inventory_db_pool_connections_in_use \d+$/m);
  });
});

describe('GET /metrics with METRICS_TOKEN', () => {
  const token = 'metrics-token-0123456789abcdef';
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ METRICS_TOKEN: token });
  });
  afterAll(() => t.close());

  it('needs the token as a bearer token', async () => {
    expectError(await t.http.get('/metrics'), 401, 'unauthorized');
    expectError(
      await t.http.get('/metrics').set('Authorization', 'Bearer wrong-token-0123456789'),
      401,
      'unauthorized',
    );
    expectError(await t.http.get('/metrics').set('Authorization', token), 401, 'unauthorized');
    const res = await t.http.get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);
    expect(res.text).toContain('# TYPE inventory_reservations_created_total counter');
  });

  it('leaves the health probes open', async () => {
    await t.http.get('/health/live').expect(200);
  });
});
