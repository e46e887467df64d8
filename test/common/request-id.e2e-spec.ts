import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Test } from 'supertest';
import { newTenant, sendRaw, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('X-Request-Id', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  /** The same kinds of response: a success, a domain error, a body that fails to parse, an unknown route. */
  const requests: [string, () => Test][] = [
    ['a success', () => t.http.get('/api/items').set(tenant.auth)],
    ['a 404', () => t.http.get('/api/items/00000000-0000-4000-8000-000000000000').set(tenant.auth)],
    ['a 401', () => t.http.get('/api/items')],
    ['malformed JSON', () => sendRaw(t.http.post('/api/items').set(tenant.auth), '{')],
    ['an unknown route', () => t.http.get('/nope')],
  ];

  it.each(requests)('a sane incoming id is echoed in the header and the body of %s', async (_label, send) => {
    const res = await send().set('X-Request-Id', 'client-req_42:a.b');
    expect(res.headers['x-request-id']).toBe('client-req_42:a.b');
    expect(res.body.request_id).toBe('client-req_42:a.b');
  });

  it.each(requests)('without an incoming id, %s gets a fresh UUID in header and body', async (_label, send) => {
    const [a, b] = [await send(), await send()];
    expect(a.headers['x-request-id']).toMatch(UUID);
    expect(a.body.request_id).toBe(a.headers['x-request-id']);
    expect(b.headers['x-request-id']).not.toBe(a.headers['x-request-id']);
  });

  it('accepts an id of exactly 128 characters', async () => {
    const id = 'a'.repeat(128);
    const res = await t.http.get('/api/items').set(tenant.auth).set('X-Request-Id', id).expect(200);
    expect([res.headers['x-request-id'], res.body.request_id]).toEqual([id, id]);
  });

  it.each([
    ['129 characters', 'a'.repeat(129)],
    ['200 characters', 'b'.repeat(200)],
    ['spaces', 'hello world'],
    ['markup', '<script>alert(1)</script>'],
    ['a slash', 'a/b'],
    ['non-ASCII', 'r\u00e9q'],
  ])('replaces an id with %s by a UUID', async (_label, id) => {
    const res = await t.http.get('/api/items').set(tenant.auth).set('X-Request-Id', id).expect(200);
    expect(res.headers['x-request-id']).toMatch(UUID);
    expect(res.body.request_id).toBe(res.headers['x-request-id']);
  });
});
