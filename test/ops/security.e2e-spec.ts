import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Response, Test } from 'supertest';
import { newTenant, sendRaw, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

function expectSecurityHeaders(res: Response): void {
  expect(res.headers['x-powered-by']).toBeUndefined();
  expect(res.headers['content-security-policy']).toContain("default-src 'self'");
  expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
  expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['cross-origin-resource-policy']).toBe('same-origin');
}

describe('security headers (helmet) and CORS', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  const responses: [string, () => Test][] = [
    ['a success', () => t.http.get('/api/items').set(tenant.auth)],
    ['a 401', () => t.http.get('/api/items')],
    ['a 400 from the body parser', () => sendRaw(t.http.post('/api/items').set(tenant.auth), '{')],
    ['an unknown route', () => t.http.get('/nope')],
    ['Swagger UI', () => t.http.get('/docs')],
    ['the OpenAPI document', () => t.http.get('/docs-json')],
    ['a health probe', () => t.http.get('/health/live')],
    ['the metrics endpoint', () => t.http.get('/metrics')],
  ];

  it.each(responses)('%s carries the security headers and no X-Powered-By', async (_label, send) => {
    expectSecurityHeaders(await send());
  });

  it('answers no CORS headers by default, to simple and preflight requests alike', async () => {
    const simple = await t.http.get('/api/items').set(tenant.auth).set('Origin', 'https://shop.example.com');
    expect(simple.headers['access-control-allow-origin']).toBeUndefined();
    const preflight = await t.http
      .options('/api/items')
      .set('Origin', 'https://shop.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    expect(preflight.headers['access-control-allow-methods']).toBeUndefined();
  });
});

describe('CORS with CORS_ORIGINS', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp({ CORS_ORIGINS: 'https://shop.example.com, http://localhost:5173' });
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it('allows the listed origins, exposing X-Request-Id', async () => {
    for (const origin of ['https://shop.example.com', 'http://localhost:5173']) {
      const res = await t.http.get('/api/items').set(tenant.auth).set('Origin', origin).expect(200);
      expect(res.headers['access-control-allow-origin']).toBe(origin);
      expect(res.headers['access-control-expose-headers']).toContain('X-Request-Id');
      expectSecurityHeaders(res);
    }
    const preflight = await t.http
      .options('/api/items')
      .set('Origin', 'https://shop.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization,content-type,idempotency-key');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://shop.example.com');
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
  });

  it('does not allow other origins', async () => {
    const res = await t.http.get('/api/items').set(tenant.auth).set('Origin', 'https://evil.example.com').expect(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });
});
