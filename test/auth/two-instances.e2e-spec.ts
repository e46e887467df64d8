import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { newKey, revokeKey, setTenantDisabled, type TestKey } from '../support/api-keys.js';
import { newTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { sleep } from '../support/util.js';

// Two instances on one database, each with its own auth cache, as in
// production (AUTH_CACHE_TTL_MS is 10 s by default; 2 s here to keep it short).
// A change made through one instance takes effect there at once, and on the
// other as soon as its cached entry is AUTH_CACHE_TTL_MS old: never later.

const TTL_MS = 2000;
const POLL_MS = 20;

let a: TestApp;
let b: TestApp;
beforeAll(async () => {
  [a, b] = await Promise.all([1, 2].map(() => startTestApp({ AUTH_CACHE_TTL_MS: String(TTL_MS) })));
});
afterAll(() => Promise.all([a.close(), b.close()]));

/**
 * Makes `change` through A right after B cached `key`, and measures how long B
 * still accepts it: from the moment A answered the change to B's first refusal.
 */
async function delayOnB(key: TestKey, change: () => Promise<unknown>, refusal: number): Promise<number> {
  await a.http.get('/api/me').set(key.auth).expect(200); // both instances cache the key now
  await b.http.get('/api/me').set(key.auth).expect(200);
  const cachedAt = Date.now();
  await change();
  const changedAt = Date.now();
  expect((await a.http.get('/api/me').set(key.auth)).status).toBe(refusal); // A: at once
  expect((await b.http.get('/api/me').set(key.auth)).status).toBe(200); // B: still cached
  for (;;) {
    const res = await b.http.get('/api/me').set(key.auth);
    if (res.status !== 200) {
      expect(res.status).toBe(refusal);
      break;
    }
    expect(Date.now() - cachedAt).toBeLessThan(TTL_MS + 500);
    await sleep(POLL_MS);
  }
  const delay = Date.now() - changedAt;
  // Never later than the TTL after B cached it (plus one poll and a request).
  expect(Date.now() - cachedAt).toBeLessThanOrEqual(TTL_MS + POLL_MS + 100);
  return delay;
}

describe(`two instances, AUTH_CACHE_TTL_MS=${TTL_MS}`, () => {
  it('a key revoked through A is refused by A at once and by B within the TTL', async () => {
    const tenant = await newTenant(a);
    const key = await newKey(a, tenant, { scopes: ['inventory:read'] });
    const delay = await delayOnB(key, () => revokeKey(a, tenant, key.id).expect(204), 401);
    console.log(`[auth] revocation: A at once, B after ${delay} ms (AUTH_CACHE_TTL_MS=${TTL_MS})`);
    expect(delay).toBeGreaterThan(TTL_MS / 2);
  });

  it('a tenant disabled through A: its keys are refused by A at once and by B within the TTL, and come back', async () => {
    const tenant = await newTenant(a);
    const key = await newKey(a, tenant);
    const delay = await delayOnB(key, () => setTenantDisabled(a, tenant, true).expect(200), 403);
    console.log(`[auth] tenant disabled: A at once, B after ${delay} ms (AUTH_CACHE_TTL_MS=${TTL_MS})`);
    await setTenantDisabled(a, tenant, false).expect(200);
    await a.http.get('/api/me').set(key.auth).expect(200);
  });
});
