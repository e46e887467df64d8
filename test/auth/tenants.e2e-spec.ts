import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createHash, randomUUID } from 'node:crypto';
import { newKey, setTenantDisabled } from '../support/api-keys.js';
import {
  adminAuth,
  auditOf,
  auditRows,
  expectError,
  expectUnchanged,
  newItem,
  newTenant,
  snapshots,
  type TestTenant,
} from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const tenantsNamed = (t: TestApp, name: string) => t.db.query('SELECT id FROM tenant WHERE name = $1', [name]);

describe('admin: tenants and API keys', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it('creates a tenant with a default warehouse and a first key shown once, stored only as a hash', async () => {
    const name = `acme-${randomUUID()}`;
    const res = await t.http
      .post('/api/admin/tenants')
      .set(adminAuth)
      .send({ name: `  ${name} ` })
      .expect(201);
    const { tenant: created, api_key } = res.body.data;
    expect(created).toMatchObject({ name, id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(api_key).toMatchObject({
      label: 'initial',
      prefix: api_key.key.slice(0, 12),
      created_at: expect.any(String),
    });
    const [stored] = await t.db.query('SELECT * FROM api_key WHERE id = $1', [api_key.id]);
    expect(stored.key_hash).toEqual(createHash('sha256').update(api_key.key).digest());
    expect(JSON.stringify(stored)).not.toContain(api_key.key);
    const [warehouse] = await t.db.query('SELECT code FROM warehouse WHERE tenant_id = $1 AND is_default', [
      created.id,
    ]);
    expect(warehouse).toEqual({ code: 'default' });
  });

  it('audits tenant creation as admin, under the request id', async () => {
    const res = await t.http
      .post('/api/admin/tenants')
      .set(adminAuth)
      .set('X-Request-Id', 'admin-create-1')
      .send({ name: `audited-${randomUUID()}` })
      .expect(201);
    const rows = await auditRows(t, res.body.data.tenant.id);
    expect(rows.map((r: { action: string }) => r.action).sort()).toEqual([
      'api_key.created',
      'tenant.created',
      'warehouse.created',
    ]);
    expect(
      rows.every(
        (r: { actor: string; request_id: string }) => r.actor === 'admin' && r.request_id === 'admin-create-1',
      ),
    ).toBe(true);
  });

  it('the new key authenticates as its tenant', async () => {
    const fresh = await newTenant(t);
    const item = await newItem(t, fresh);
    const res = await t.http.get(`/api/items/${item.id}`).set(fresh.auth).expect(200);
    expect(res.body.data.id).toBe(item.id);
  });

  it('rejects a duplicate tenant name (after trimming) and creates nothing', async () => {
    const name = `dup-${randomUUID()}`;
    await t.http.post('/api/admin/tenants').set(adminAuth).send({ name }).expect(201);
    const res = await t.http
      .post('/api/admin/tenants')
      .set(adminAuth)
      .send({ name: ` ${name} ` });
    expectError(res, 400, 'duplicate_name');
    expect(await tenantsNamed(t, name)).toHaveLength(1);
  });

  it.each([
    ['missing name', {}],
    ['blank name', { name: '   ' }],
    ['name too long', { name: 'x'.repeat(256) }],
    ['name not a string', { name: 42 }],
    ['extra field', { name: 'ok-name', plan: 'gold' }],
  ])('rejects %s with validation_failed', async (_label, body) => {
    const res = await t.http.post('/api/admin/tenants').set(adminAuth).send(body);
    expectError(res, 400, 'validation_failed');
    expect(res.body.details.length).toBeGreaterThan(0);
  });

  it('rejects a tenant name with a NUL character as bad input, not a 500', async () => {
    const name = `nul-${randomUUID()}\u0000`;
    expectError(await t.http.post('/api/admin/tenants').set(adminAuth).send({ name }), 400, 'validation_failed');
  });

  it('a tenant API key on an admin route is 403 forbidden and creates nothing', async () => {
    const name = `forbidden-${randomUUID()}`;
    expectError(await t.http.post('/api/admin/tenants').set(tenant.auth).send({ name }), 403, 'forbidden');
    expect(await tenantsNamed(t, name)).toHaveLength(0);
  });

  it.each([
    ['no Authorization header', {}],
    ['an unknown token', { Authorization: 'Bearer not-the-admin-token-at-all' }],
    ['a non-bearer scheme', { Authorization: `Basic ${Buffer.from('admin:x').toString('base64')}` }],
  ])('%s on an admin route is 401 unauthorized and creates nothing', async (_label, headers) => {
    const name = `unauth-${randomUUID()}`;
    expectError(await t.http.post('/api/admin/tenants').set(headers).send({ name }), 401, 'unauthorized');
    expect(await tenantsNamed(t, name)).toHaveLength(0);
  });

  it('creates another API key for a tenant, audited, which works alongside the first', async () => {
    const res = await t.http
      .post(`/api/admin/tenants/${tenant.id}/api-keys`)
      .set(adminAuth)
      .send({ label: ' checkout ' })
      .expect(201);
    expect(res.body.data).toMatchObject({ label: 'checkout', prefix: res.body.data.key.slice(0, 12) });
    const [row] = (await auditRows(t, tenant.id, 'api_key.created')).filter(
      (r: { object_id: string }) => r.object_id === res.body.data.id,
    );
    expect(row).toMatchObject({ actor: 'admin', new_value: { label: 'checkout' } });
    await t.http
      .get('/api/items')
      .set({ Authorization: `Bearer ${res.body.data.key}` })
      .expect(200);
    await t.http.get('/api/items').set(tenant.auth).expect(200);
  });

  it('labels a key "api" when no label is given', async () => {
    const res = await t.http.post(`/api/admin/tenants/${tenant.id}/api-keys`).set(adminAuth).expect(201);
    expect(res.body.data.label).toBe('api');
  });

  it('creating a key for an unknown tenant is 404', async () => {
    const res = await t.http.post(`/api/admin/tenants/${randomUUID()}/api-keys`).set(adminAuth).send({});
    expectError(res, 404, 'not_found');
  });

  it('creating a key for a non-UUID tenant id is 404', async () => {
    expectError(await t.http.post('/api/admin/tenants/not-a-uuid/api-keys').set(adminAuth).send({}), 404, 'not_found');
  });

  it.each([
    ['a blank label', { label: '  ' }],
    ['a label over 100 characters', { label: 'l'.repeat(101) }],
    ['a null label', { label: null }],
    ['an unknown scope', { label: 'x', scopes: ['all'] }],
    ['an extra field', { label: 'x', owner: 'me' }],
  ])('refuses a key with %s and changes nothing', async (_label, body) => {
    const send = () => t.http.post(`/api/admin/tenants/${tenant.id}/api-keys`).set(adminAuth).send(body);
    await expectUnchanged(t, tenant, send, 400, 'validation_failed');
  });

  it('a tenant key cannot mint keys (403), not even for its own tenant', async () => {
    const send = () => t.http.post(`/api/admin/tenants/${tenant.id}/api-keys`).set(tenant.auth).send({});
    await expectUnchanged(t, tenant, send, 403, 'forbidden');
  });

  it('minting a key without the admin token is 401 and changes nothing', async () => {
    const send = () => t.http.post(`/api/admin/tenants/${tenant.id}/api-keys`).send({});
    await expectUnchanged(t, tenant, send, 401, 'unauthorized');
  });
});

describe('tenant API keys on tenant routes', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it.each([
    ['no key', {}],
    ['an unknown key', { Authorization: 'Bearer inv_unknown' }],
    ['the admin token', adminAuth],
    ['an empty bearer', { Authorization: 'Bearer ' }],
  ])('%s is 401 unauthorized on items routes and changes nothing', async (_label, headers) => {
    await expectUnchanged(t, tenant, () => t.http.get('/api/items').set(headers), 401, 'unauthorized');
    await expectUnchanged(
      t,
      tenant,
      () => t.http.post('/api/items').set(headers).send({ name: 'x' }),
      401,
      'unauthorized',
    );
  });

  it('a key revoked in the database is 401 (no cache in tests)', async () => {
    const key = await newKey(t, tenant);
    await t.http.get('/api/items').set(key.auth).expect(200);
    await t.db.query('UPDATE api_key SET revoked_at = now() WHERE id = $1', [key.id]);
    expectError(await t.http.get('/api/items').set(key.auth), 401, 'unauthorized');
  });
});

describe('without ADMIN_TOKEN', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ADMIN_TOKEN: undefined });
  });
  afterAll(() => t.close());

  it('the admin routes do not exist (404), whatever token is sent, and create nothing', async () => {
    const name = `no-admin-${randomUUID()}`;
    expectError(await t.http.post('/api/admin/tenants').set(adminAuth).send({ name }), 404, 'not_found');
    expectError(await t.http.post('/api/admin/tenants').send({ name }), 404, 'not_found');
    expect(await tenantsNamed(t, name)).toHaveLength(0);
  });

  it('minting a key answers 404 too', async () => {
    const res = await t.http.post(`/api/admin/tenants/${randomUUID()}/api-keys`).set(adminAuth).send({});
    expectError(res, 404, 'not_found');
  });
});

describe('admin: listing and disabling tenants', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Cached keys, as in production: disabling must still take effect at once on this instance.
    t = await startTestApp({ AUTH_CACHE_TTL_MS: '60000' });
  });
  afterAll(() => t.close());

  it('lists every tenant oldest first, page by page, with whether it is disabled', async () => {
    const made = [await newTenant(t), await newTenant(t)];
    const seen: { id: string; disabled_at: string | null }[] = [];
    let cursor: string | undefined;
    do {
      const res = await t.http
        .get('/api/admin/tenants')
        .set(adminAuth)
        .query({ limit: 50, ...(cursor ? { cursor } : {}) })
        .expect(200);
      seen.push(...res.body.data);
      cursor = res.body.page.next_cursor ?? undefined;
    } while (cursor);
    const ids = seen.map((s) => s.id);
    expect(ids.indexOf(made[0]!.id)).toBeLessThan(ids.indexOf(made[1]!.id));
    expect(seen.find((s) => s.id === made[0]!.id)).toMatchObject({ disabled_at: null });
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("a disabled tenant's keys are 403 tenant_disabled at once (cached or not), on every route, until enabled", async () => {
    const tenant = await newTenant(t);
    const scoped = await newKey(t, tenant, { scopes: ['orders:read'] });
    await t.http.get('/api/items').set(tenant.auth).expect(200);
    const res = await setTenantDisabled(t, tenant, true).set('X-Request-Id', `disable-${tenant.id}`).expect(200);
    expect(res.body.data).toMatchObject({ id: tenant.id, disabled_at: expect.any(String) });
    for (const auth of [tenant.auth, scoped.auth]) {
      expectError(await t.http.get('/api/items').set(auth), 403, 'tenant_disabled');
      expectError(await t.http.get('/api/me').set(auth), 403, 'tenant_disabled');
    }
    await expectUnchanged(
      t,
      tenant,
      () => t.http.post('/api/items').set(tenant.auth).send({ name: 'x' }),
      403,
      'tenant_disabled',
    );
    // On an admin route it is still a known key, not the admin token: 403 forbidden as before.
    expectError(await t.http.get('/api/admin/tenants').set(tenant.auth), 403, 'forbidden');
    await setTenantDisabled(t, tenant, false).expect(200);
    await t.http.get('/api/items').set(tenant.auth).expect(200);
    expect(await auditOf(t, tenant.id, 'tenant.disabled')).toEqual([
      {
        actor: 'admin',
        action: 'tenant.disabled',
        object_type: 'tenant',
        object_id: tenant.id,
        old_value: { disabled_at: null },
        new_value: { disabled_at: res.body.data.disabled_at },
        request_id: `disable-${tenant.id}`,
      },
    ]);
    expect(await auditOf(t, tenant.id, 'tenant.enabled')).toEqual([
      expect.objectContaining({
        old_value: { disabled_at: res.body.data.disabled_at },
        new_value: { disabled_at: null },
      }),
    ]);
  });

  it('disabling is idempotent: a second disable answers the tenant as it is and writes nothing', async () => {
    const tenant = await newTenant(t);
    const first = await setTenantDisabled(t, tenant, true).expect(200);
    const before = await snapshots(t, [tenant]);
    const again = await setTenantDisabled(t, tenant, true).expect(200);
    expect(again.body.data).toEqual(first.body.data);
    expect(await snapshots(t, [tenant])).toEqual(before);
    expect(await auditOf(t, tenant.id, 'tenant.disabled')).toHaveLength(1);
  });

  it('keys can still be made, listed and revoked for a disabled tenant (and do not work until it is enabled)', async () => {
    const tenant = await newTenant(t);
    await setTenantDisabled(t, tenant, true).expect(200);
    const key = await newKey(t, tenant, { scopes: ['inventory:read'] });
    expectError(await t.http.get('/api/items').set(key.auth), 403, 'tenant_disabled');
    await setTenantDisabled(t, tenant, false).expect(200);
    await t.http.get('/api/items').set(key.auth).expect(200);
  });

  it('disabling an unknown tenant is 404; a tenant key may not disable its own tenant (403); nothing changes', async () => {
    const tenant = await newTenant(t);
    expectError(await setTenantDisabled(t, { id: randomUUID() }, true), 404, 'not_found');
    const own = () => t.http.post(`/api/admin/tenants/${tenant.id}/disable`).set(tenant.auth);
    await expectUnchanged(t, tenant, own, 403, 'forbidden');
    expectError(await t.http.get('/api/admin/tenants').query({ limit: 0 }).set(adminAuth), 400, 'validation_failed');
    expectError(await t.http.get('/api/admin/tenants').query({ cursor: 'x' }).set(adminAuth), 400, 'invalid_cursor');
  });
});
