import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { newKey, revokeKey, rotateKey } from '../support/api-keys.js';
import { adminAuth, auditOf, expectError, expectUnchanged, newTenant, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { sleep } from '../support/util.js';

// Keys are cached for a minute here, as a busy production instance would: what
// this instance changes must still take effect at once.
const CACHED = { AUTH_CACHE_TTL_MS: '60000' };

const keysOf = async (t: TestApp, tenant: TestTenant) =>
  (await t.http.get(`/api/admin/tenants/${tenant.id}/api-keys`).set(adminAuth).query({ limit: 100 }).expect(200)).body
    .data;

describe('API keys: scopes, expiry, revocation, rotation', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp(CACHED);
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it('a new key has the scopes and expiry it was made with, and GET /api/me shows them', async () => {
    const expires = new Date(Date.now() + 86_400_000).toISOString();
    const key = await newKey(t, tenant, { label: 'reader', scopes: ['inventory:read'], expires_at: expires });
    expect(key).toMatchObject({ label: 'reader', scopes: ['inventory:read'], expires_at: expires, revoked_at: null });
    const me = await t.http.get('/api/me').set(key.auth).expect(200);
    expect(me.body.data).toEqual({
      tenant_id: tenant.id,
      actor: `api_key:${key.id}`,
      api_key: {
        id: key.id,
        label: 'reader',
        prefix: key.key.slice(0, 12),
        scopes: ['inventory:read'],
        created_at: expect.any(String),
        expires_at: expires,
        revoked_at: null,
        last_used_at: null,
        rotated_from: null,
      },
    });
  });

  it('without scopes a key gets every scope; `*` among others is `*` alone; scopes are kept in one order', async () => {
    expect((await newKey(t, tenant)).scopes).toEqual(['*']);
    expect((await newKey(t, tenant, { scopes: ['orders:read', '*'] })).scopes).toEqual(['*']);
    expect((await newKey(t, tenant, { scopes: ['audit:read', 'inventory:read'] })).scopes).toEqual([
      'inventory:read',
      'audit:read',
    ]);
  });

  it.each([
    ['an unknown scope', { scopes: ['inventory:delete'] }],
    ['no scope at all', { scopes: [] }],
    ['a scope twice', { scopes: ['orders:read', 'orders:read'] }],
    ['scopes that are no list', { scopes: 'inventory:read' }],
    ['an expiry in the past', { expires_at: '2020-01-01T00:00:00Z' }],
    ['an expiry without an offset', { expires_at: '2999-01-01T00:00:00' }],
    ['an expiry that is no time', { expires_at: 'tomorrow' }],
    ['a null expiry', { expires_at: null }],
  ])('refuses a key with %s (400 validation_failed) and makes nothing', async (_label, body) => {
    const send = () => t.http.post(`/api/admin/tenants/${tenant.id}/api-keys`).set(adminAuth).send(body);
    await expectUnchanged(t, tenant, send, 400, 'validation_failed');
  });

  it('the database refuses scopes the service would never write', async () => {
    for (const scopes of ['{inventory:delete}', '{}', '{*,orders:read}']) {
      await expect(t.db.query('UPDATE api_key SET scopes = $1 WHERE id = $2', [scopes, tenant.keyId])).rejects.toThrow(
        /api_key_scopes_known/,
      );
    }
  });

  it("lists a tenant's keys oldest first, page by page, revoked ones included; unknown tenants are 404", async () => {
    const own = await newTenant(t);
    const made = [await newKey(t, own, { label: 'a' }), await newKey(t, own, { label: 'b' })];
    await revokeKey(t, own, made[0]!.id).expect(204);
    const first = await t.http.get(`/api/admin/tenants/${own.id}/api-keys`).set(adminAuth).query({ limit: 2 });
    expect(first.body.data.map((k: { id: string }) => k.id)).toEqual([own.keyId, made[0]!.id]);
    expect(first.body.data[1]).toMatchObject({ revoked_at: expect.any(String) });
    expect(JSON.stringify(first.body)).not.toContain(made[0]!.key);
    const second = await t.http
      .get(`/api/admin/tenants/${own.id}/api-keys`)
      .set(adminAuth)
      .query({ limit: 2, cursor: first.body.page.next_cursor })
      .expect(200);
    expect(second.body.data.map((k: { id: string }) => k.id)).toEqual([made[1]!.id]);
    expect(second.body.page.next_cursor).toBeNull();
    expectError(await t.http.get(`/api/admin/tenants/${randomUUID()}/api-keys`).set(adminAuth), 404, 'not_found');
    expectError(await t.http.get(`/api/admin/tenants/${own.id}/api-keys`).set(own.auth), 403, 'forbidden');
  });

  it('a revoked key is refused at once by the instance that revoked it, although it was cached', async () => {
    const key = await newKey(t, tenant);
    await t.http.get('/api/items').set(key.auth).expect(200); // now in the cache, for a minute
    await revokeKey(t, tenant, key.id).expect(204);
    const res = await t.http.get('/api/items').set(key.auth);
    expectError(res, 401, 'unauthorized');
    expect(res.body.message).toBe('This API key was revoked');
    expectError(await t.http.get('/api/me').set(key.auth), 401, 'unauthorized');
  });

  it('revoking is audited once and idempotent; an unknown key, or one of another tenant, is 404', async () => {
    const key = await newKey(t, tenant);
    await revokeKey(t, tenant, key.id).set('X-Request-Id', `revoke-${key.id}`).expect(204);
    await revokeKey(t, tenant, key.id).expect(204);
    expect(await auditOf(t, tenant.id, 'api_key.revoked', key.id)).toEqual([
      {
        actor: 'admin',
        action: 'api_key.revoked',
        object_type: 'api_key',
        object_id: key.id,
        old_value: { revoked_at: null },
        new_value: { revoked_at: expect.any(String) },
        request_id: `revoke-${key.id}`,
      },
    ]);
    const other = await newTenant(t);
    await expectUnchanged(t, [tenant, other], () => revokeKey(t, other, tenant.keyId), 404, 'not_found');
    await expectUnchanged(t, tenant, () => revokeKey(t, tenant, randomUUID()), 404, 'not_found');
    await expectUnchanged(t, tenant, () => revokeKey(t, tenant, 'not-a-uuid'), 404, 'not_found');
    await t.http.get('/api/items').set(tenant.auth).expect(200);
  });

  it('a tenant key cannot revoke keys, not even its own (403)', async () => {
    await expectUnchanged(t, tenant, () => revokeKey(t, tenant, tenant.keyId).set(tenant.auth), 403, 'forbidden');
  });

  it('an expired key is refused from its expiry on, to the moment, although it was cached', async () => {
    const expires = new Date(Date.now() + 1500);
    const key = await newKey(t, tenant, { expires_at: expires.toISOString() });
    await t.http.get('/api/items').set(key.auth).expect(200);
    await sleep(expires.getTime() - Date.now() + 5);
    const res = await t.http.get('/api/items').set(key.auth);
    expectError(res, 401, 'unauthorized');
    expect(res.body.message).toBe(`This API key expired at ${expires.toISOString()}`);
  });

  it('rotation: a new key with the old label and scopes, the old one working on until it is revoked', async () => {
    const old = await newKey(t, tenant, { label: 'checkout', scopes: ['reservations:write', 'inventory:read'] });
    await t.http.get('/api/items').set(old.auth).expect(200);
    const fresh = await rotateKey(t, tenant, old.id);
    expect(fresh).toMatchObject({
      label: 'checkout',
      scopes: ['inventory:read', 'reservations:write'],
      expires_at: null,
      rotated_from: old.id,
    });
    expect(fresh.key).not.toBe(old.key);
    await t.http.get('/api/items').set(fresh.auth).expect(200);
    await t.http.get('/api/items').set(old.auth).expect(200);
    await revokeKey(t, tenant, old.id).expect(204);
    expectError(await t.http.get('/api/items').set(old.auth), 401, 'unauthorized');
    await t.http.get('/api/items').set(fresh.auth).expect(200);
    expect(await auditOf(t, tenant.id, 'api_key.rotated', old.id)).toEqual([
      expect.objectContaining({ actor: 'admin', new_value: { rotated_to: fresh.id, expires_at: null } }),
    ]);
    expect(await auditOf(t, tenant.id, 'api_key.created', fresh.id)).toEqual([
      expect.objectContaining({ new_value: expect.objectContaining({ rotated_from: old.id, label: 'checkout' }) }),
    ]);
  });

  it('rotation with old_key_expires_at: the old key stops then, at once in this instance (no cache delay)', async () => {
    const old = await newKey(t, tenant);
    await t.http.get('/api/items').set(old.auth).expect(200);
    const until = new Date(Date.now() + 1500).toISOString();
    const fresh = await rotateKey(t, tenant, old.id, { old_key_expires_at: until, scopes: ['orders:read'] });
    expect(fresh.scopes).toEqual(['orders:read']);
    const listed = (await keysOf(t, tenant)).find((k: { id: string }) => k.id === old.id);
    expect(listed).toMatchObject({ expires_at: until, revoked_at: null });
    await t.http.get('/api/items').set(old.auth).expect(200);
    await sleep(Date.parse(until) - Date.now() + 5);
    expectError(await t.http.get('/api/items').set(old.auth), 401, 'unauthorized');
    await t.http.get('/api/orders').set(fresh.auth).expect(200);
  });

  it('rotation never makes an old key live longer than its own expiry', async () => {
    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const old = await newKey(t, tenant, { expires_at: soon });
    await rotateKey(t, tenant, old.id, { old_key_expires_at: new Date(Date.now() + 86_400_000).toISOString() });
    expect((await keysOf(t, tenant)).find((k: { id: string }) => k.id === old.id).expires_at).toBe(soon);
  });

  it.each([
    ['an unknown key', randomUUID(), {}, 404, 'not_found'],
    [
      'an old-key expiry in the past',
      undefined,
      { old_key_expires_at: '2001-01-01T00:00:00Z' },
      400,
      'validation_failed',
    ],
    ['an unknown field', undefined, { grace: 60 }, 400, 'validation_failed'],
  ])('refuses to rotate %s and changes nothing', async (_label, keyId, body, status, code) => {
    const path = `/api/admin/tenants/${tenant.id}/api-keys/${keyId ?? tenant.keyId}/rotate`;
    await expectUnchanged(t, tenant, () => t.http.post(path).set(adminAuth).send(body), status, code);
  });
});
