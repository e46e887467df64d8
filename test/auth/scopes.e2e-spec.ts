import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { UNPREFIXED_ROUTES } from '../../src/app.setup.js';
import { routeAccess, SCOPE_EXTENSION } from '../../src/auth/route-access.js';
import { newKey, revokeKey } from '../support/api-keys.js';
import { expectError, expectUnchanged, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * Who may call each route: its scope, `any key`, `admin` (ADMIN_TOKEN) or `public`.
 * Written out so that a route's scope is a reviewed decision: a new route fails
 * the test below until it declares its access and is listed here.
 */
const ACCESS: Record<string, string> = {
  'POST /api/availability': 'inventory:read',
  'POST /api/items': 'inventory:write',
  'GET /api/items': 'inventory:read',
  'GET /api/items/sku/:sku': 'inventory:read',
  'GET /api/items/:id': 'inventory:read',
  'PATCH /api/items/:id': 'inventory:write',
  'PATCH /api/items/:id/qty': 'inventory:write',
  'DELETE /api/items/:id': 'inventory:write',
  'GET /api/items/:id/movements': 'inventory:read',
  'GET /api/stock-movements': 'inventory:read',
  'POST /api/warehouses': 'inventory:write',
  'GET /api/warehouses': 'inventory:read',
  'GET /api/warehouses/:id': 'inventory:read',
  'PATCH /api/warehouses/:id': 'inventory:write',
  'POST /api/stock/counts': 'inventory:write',
  'POST /api/stock/transfers': 'inventory:write',
  'POST /api/stock/adjustments': 'inventory:write',
  'POST /api/reservations': 'reservations:write',
  'GET /api/reservations': 'inventory:read',
  'GET /api/reservations/:id': 'inventory:read',
  'POST /api/reservations/:id/release': 'reservations:write',
  'POST /api/reservations/:id/extend': 'reservations:write',
  'POST /api/orders': 'orders:write',
  'GET /api/orders': 'orders:read',
  'GET /api/orders/:id': 'orders:read',
  'POST /api/orders/:id/transitions': 'orders:write',
  'GET /api/audit-logs': 'audit:read',
  'GET /api/events': 'audit:read',
  'POST /api/webhooks': 'webhooks:manage',
  'GET /api/webhooks': 'webhooks:manage',
  'GET /api/webhooks/:id': 'webhooks:manage',
  'PATCH /api/webhooks/:id': 'webhooks:manage',
  'DELETE /api/webhooks/:id': 'webhooks:manage',
  'POST /api/webhooks/:id/rotate-secret': 'webhooks:manage',
  'GET /api/webhooks/:id/deliveries': 'webhooks:manage',
  'POST /api/webhooks/:id/deliveries/:delivery/retry': 'webhooks:manage',
  'POST /api/webhooks/:id/replay': 'webhooks:manage',
  'GET /api/me': 'any key',
  'POST /api/admin/tenants': 'admin',
  'GET /api/admin/tenants': 'admin',
  'POST /api/admin/tenants/:id/disable': 'admin',
  'POST /api/admin/tenants/:id/enable': 'admin',
  'POST /api/admin/tenants/:id/api-keys': 'admin',
  'GET /api/admin/tenants/:id/api-keys': 'admin',
  'DELETE /api/admin/tenants/:id/api-keys/:key': 'admin',
  'POST /api/admin/tenants/:id/api-keys/:key/rotate': 'admin',
  'GET /api/admin/ledger': 'admin',
  'GET /health/live': 'public',
  'GET /health/ready': 'public',
  'GET /metrics': 'public',
};

type Json = Record<string, any>;

/** Every route of every controller of the running app, with what it declares (`undeclared`: nothing). */
function routesOf(): Record<string, string> {
  const routes: Record<string, string> = {};
  const join = (...parts: string[]) =>
    `/${parts
      .flatMap((p) => p.split('/'))
      .filter(Boolean)
      .join('/')}`;
  for (const module of t.app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (!metatype) continue;
      const base = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
      const proto = metatype.prototype as Record<string, object>;
      for (const name of Object.getOwnPropertyNames(proto)) {
        const handler = proto[name]!;
        const path = Reflect.getMetadata(PATH_METADATA, handler) as string | undefined;
        if (name === 'constructor' || path === undefined) continue;
        const full = join(base, path);
        const prefixed = UNPREFIXED_ROUTES.includes(full.slice(1)) ? full : join('api', full);
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number];
        const access = routeAccess(handler, metatype);
        routes[`${method} ${prefixed}`] =
          access === undefined ? 'undeclared' : access.kind === 'scope' ? access.scope : access.kind.replace('_', ' ');
      }
    }
  }
  return routes;
}

let t: TestApp;
beforeAll(async () => {
  t = await startTestApp();
});
afterAll(() => t.close());

describe('every route declares who may call it', () => {
  let doc: Json;

  beforeAll(async () => {
    doc = (await t.http.get('/docs-json').expect(200)).body;
  });

  it('a scope, any key, admin or public, as listed here; none is undeclared', () => {
    expect(routesOf()).toEqual(ACCESS);
  });

  it('those are all the routes there are: every documented operation, no other', () => {
    const documented = Object.entries(doc.paths as Json).flatMap(([path, item]) =>
      Object.keys(item as Json).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect(documented.sort()).toEqual(Object.keys(ACCESS).sort());
  });

  it('Swagger shows each tenant route’s scope: x-required-scope, the description, and the 403 it answers', () => {
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const [method, op] of Object.entries(item as Json)) {
        const access = ACCESS[`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`]!;
        const scoped = access.includes(':');
        expect({ path, method, scope: op[SCOPE_EXTENSION] }).toEqual({
          path,
          method,
          scope: scoped ? access : undefined,
        });
        if (!scoped) continue;
        expect(op.description).toMatch(new RegExp(`^\\*\\*Scope:\\*\\* \`${access}\``));
        expect(Object.keys(op.responses['403'].content['application/json'].examples)).toEqual([
          'insufficient_scope',
          'tenant_disabled',
        ]);
      }
    }
  });
});

describe('scopes on tenant routes', () => {
  let tenant: TestTenant;

  beforeAll(async () => {
    tenant = await newTenant(t);
  });

  it('a key without the route’s scope is 403 insufficient_scope, naming the scope, and nothing changes', async () => {
    const reader = await newKey(t, tenant, { scopes: ['inventory:read', 'audit:read'] });
    await t.http.get('/api/items').set(reader.auth).expect(200);
    const res = await expectUnchanged(
      t,
      tenant,
      () => t.http.post('/api/items').set(reader.auth).send({ name: 'not-made', qty: 5 }),
      403,
      'insufficient_scope',
    );
    expect(res.body.message).toBe(
      'This route needs the scope inventory:write; this key has inventory:read, audit:read',
    );
    expect(res.body.details).toEqual([
      {
        required_scope: 'inventory:write',
        granted_by: ['inventory:write', '*'],
        key_scopes: ['inventory:read', 'audit:read'],
      },
    ]);
  });

  it('the scope is checked before the request is read: a bad body or id is still a 403', async () => {
    const reader = await newKey(t, tenant, { scopes: ['orders:read'] });
    expectError(await t.http.post('/api/items').set(reader.auth).send({ qty: 'x' }), 403, 'insufficient_scope');
    expectError(await t.http.get('/api/items/not-a-uuid').set(reader.auth), 403, 'insufficient_scope');
  });

  it('writing includes reading; one write scope does not give another', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    const writer = await newKey(t, tenant, { scopes: ['inventory:write'] });
    await t.http.get(`/api/items/${item.id}`).set(writer.auth).expect(200);
    await t.http.patch(`/api/items/${item.id}/qty`).set(writer.auth).send({ delta: 1 }).expect(200);
    const hold = () =>
      t.http
        .post('/api/reservations')
        .set(writer.auth)
        .send({ lines: [{ item_id: item.id, quantity: 1 }] });
    await expectUnchanged(t, tenant, hold, 403, 'insufficient_scope');
    const checkout = await newKey(t, tenant, { scopes: ['reservations:write'] });
    await hold().set(checkout.auth).expect(201);
    expectError(await t.http.get(`/api/items/${item.id}`).set(checkout.auth), 403, 'insufficient_scope');
  });

  it('any key, whatever its scopes, may ask GET /api/me what it is', async () => {
    const key = await newKey(t, tenant, { scopes: ['webhooks:manage'] });
    const res = await t.http.get('/api/me').set(key.auth).expect(200);
    expect(res.body.data.api_key).toMatchObject({ id: key.id, scopes: ['webhooks:manage'] });
  });

  it('a scoped key still cannot call admin routes (403 forbidden), a revoked one is 401 there', async () => {
    const key = await newKey(t, tenant, { scopes: ['audit:read'] });
    expectError(await t.http.get('/api/admin/tenants').set(key.auth), 403, 'forbidden');
    await revokeKey(t, tenant, key.id).expect(204);
    expectError(await t.http.get('/api/admin/tenants').set(key.auth), 401, 'unauthorized');
  });
});
