import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { validateEnv } from '../../src/config/env.js';
import { adminAuth, expectError, newItem, newTenant, snapshot, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const LIMIT = 5;

describe('rate limit per API key (RATE_LIMIT_PER_MINUTE)', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;

  beforeAll(async () => {
    t = await startTestApp({ RATE_LIMIT_PER_MINUTE: String(LIMIT), ENABLE_CRON: 'false' });
    [a, b] = [await newTenant(t), await newTenant(t)];
  });
  afterAll(() => t.close());

  it('lets LIMIT requests of one key through (any routes), answers the next with 429 rate_limited and Retry-After; another key is unaffected', async () => {
    const paths = ['/api/items', '/api/warehouses', '/api/reservations', '/api/orders', '/api/audit-logs'];
    for (const [i, path] of paths.entries()) {
      const res = await t.http.get(path).set(a.auth).expect(200);
      expect(res.headers['x-ratelimit-limit']).toBe(String(LIMIT));
      expect(res.headers['x-ratelimit-remaining']).toBe(String(LIMIT - i - 1));
    }

    const before = await snapshot(t, a.id);
    const limited = await t.http.post('/api/items').set(a.auth).send({ name: 'over-the-limit', qty: 1 });
    expectError(limited, 429, 'rate_limited');
    const retryAfter = Number(limited.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    // The throttler's own figure (seconds until the oldest request leaves the one-minute window), not the filter's fallback of 1.
    expect(retryAfter).toBeGreaterThan(50);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.body.message).toMatch(/rate limit/i);
    expect(await snapshot(t, a.id)).toEqual(before); // refused before anything ran

    expectError(await t.http.get('/api/items').set(a.auth), 429, 'rate_limited');

    // Tenant B's key has its own budget.
    await t.http.get('/api/items').set(b.auth).expect(200);
    await newItem(t, b, { qty: 1 });
  });

  it('counts per key, not per tenant: a second key of the same tenant has its own budget', async () => {
    const tenant = await newTenant(t);
    const res = await t.http
      .post(`/api/admin/tenants/${tenant.id}/api-keys`)
      .set(adminAuth)
      .send({ label: 'second' })
      .expect(201);
    const second = { Authorization: `Bearer ${res.body.data.key}` };
    for (let i = 0; i < LIMIT; i++) await t.http.get('/api/items').set(tenant.auth).expect(200);
    expectError(await t.http.get('/api/items').set(tenant.auth), 429, 'rate_limited');
    await t.http.get('/api/items').set(second).expect(200);
  });

  it('does not limit health checks, admin routes or requests without a valid key', async () => {
    for (let i = 0; i < LIMIT * 3; i++) {
      await t.http.get('/health/live').expect(200);
      expectError(await t.http.get('/api/items').set({ Authorization: 'Bearer inv_unknown' }), 401, 'unauthorized');
    }
    for (let i = 0; i < LIMIT + 1; i++) await newTenant(t); // ADMIN_TOKEN: no API key to count
  });
});

describe('RATE_LIMIT_PER_MINUTE configuration', () => {
  it('defaults to 6000, accepts 0 (off) and refuses anything but a non-negative integer', () => {
    expect(validateEnv({}).RATE_LIMIT_PER_MINUTE).toBe(6000);
    expect(validateEnv({ RATE_LIMIT_PER_MINUTE: '0' }).RATE_LIMIT_PER_MINUTE).toBe(0);
    for (const bad of ['-1', '1.5', 'many', '']) {
      expect(() => validateEnv({ RATE_LIMIT_PER_MINUTE: bad })).toThrow(/RATE_LIMIT_PER_MINUTE/);
    }
  });

  it('0 turns it off: no X-RateLimit headers, no 429', async () => {
    const t = await startTestApp({ RATE_LIMIT_PER_MINUTE: '0', ENABLE_CRON: 'false' });
    try {
      const tenant = await newTenant(t);
      for (let i = 0; i < 20; i++) {
        const res = await t.http.get('/api/items').set(tenant.auth).expect(200);
        expect(res.headers['x-ratelimit-limit']).toBeUndefined();
      }
    } finally {
      await t.close();
    }
  });
});
