import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createInventoryClient, InventoryApiError, unwrap, type InventoryClient } from '../../client/src/index.js';
import { expectUnchanged, newTenant, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { Conformance } from './support/conformance.js';

// The typed client (client/) against the live service: a sale from item to
// audit log, and errors as the typed error body. Every answer is also held
// against openapi.json (support/conformance.ts).

let t: TestApp;
let tenant: TestTenant;
let api: InventoryClient;
const conformance = new Conformance();

beforeAll(async () => {
  t = await startTestApp();
  tenant = await newTenant(t);
  api = createInventoryClient({ baseUrl: t.url, apiKey: tenant.key });
  api.use(conformance.middleware);
});
afterAll(() => t.close());
afterEach(() => expect(conformance.problems.splice(0)).toEqual([]));

describe('the client against the service', () => {
  it('creates an item, reserves, orders from the hold, confirms, and reads the audit log', async () => {
    const sku = `FLOW-${randomUUID().slice(0, 8).toUpperCase()}`;
    const item = unwrap(await api.POST('/api/items', { body: { name: `flow ${sku}`, sku, qty: 5 } })).data;
    expect(item).toMatchObject({ sku, qty: 5, reserved: 0, available: 5 });

    const hold = unwrap(
      await api.POST('/api/reservations', { body: { lines: [{ sku, quantity: 3 }], ttl_seconds: 300 } }),
    ).data;
    expect(hold.status).toBe('active');

    const order = unwrap(
      await api.POST('/api/orders', {
        body: { currency: 'EUR', reservation_id: hold.id, prices: [{ sku, unit_price: 1299 }] },
        idempotencyKey: `order-${hold.id}`,
      }),
    ).data;
    expect(order).toMatchObject({ status: 'pending', currency: 'EUR', total_amount: 3 * 1299 });

    const confirmed = unwrap(
      await api.POST('/api/orders/{id}/transitions', { params: { path: { id: order.id } }, body: { to: 'confirmed' } }),
    ).data;
    expect(confirmed.status).toBe('confirmed');

    const after = unwrap(await api.GET('/api/items/{id}', { params: { path: { id: item.id } } })).data;
    // Confirming commits the held units: they leave on_hand.
    expect(after).toMatchObject({ qty: 2, reserved: 0, available: 2 });

    const audit = unwrap(await api.GET('/api/audit-logs', { params: { query: { object_id: order.id } } }));
    expect(audit.data.map((row) => row.action)).toEqual(['order.status_changed', 'order.created']);
    expect(audit.data[0]).toMatchObject({ object_type: 'order', actor: `api_key:${tenant.keyId}` });
  });

  it('replays a keyed write instead of applying it twice', async () => {
    const body = { name: `once ${randomUUID()}`, qty: 1 };
    const first = await api.POST('/api/items', { body, idempotencyKey: `create-${body.name}` });
    const again = await api.POST('/api/items', { body, idempotencyKey: `create-${body.name}` });
    expect(again.response.headers.get('Idempotent-Replayed')).toBe('true');
    expect(again.data?.data.id).toBe(first.data?.data.id);
  });

  it('answers an error as the typed error body, and unwrap throws it', async () => {
    const item = unwrap(await api.POST('/api/items', { body: { name: `short ${randomUUID()}`, qty: 1 } })).data;
    const path = { id: item.id };
    const { data, error, response } = await api.PATCH('/api/items/{id}/qty', { params: { path }, body: { delta: -5 } });
    expect(data).toBeUndefined();
    expect(response.status).toBe(400);
    expect(error).toMatchObject({ error: 'insufficient_stock', request_id: response.headers.get('X-Request-Id') });
    expect(error?.message).toEqual(expect.any(String));

    const missing = api.GET('/api/items/{id}', { params: { path: { id: randomUUID() } } });
    const thrown = await missing.then(unwrap).catch((err: unknown) => err);
    expect(thrown).toBeInstanceOf(InventoryApiError);
    expect(thrown).toMatchObject({ status: 404, code: 'not_found' });
  });

  it('refuses a field the schema does not have, as additionalProperties: false says (and nothing changes)', async () => {
    const raw = createInventoryClient({ baseUrl: t.url, apiKey: tenant.key });
    const res = await expectUnchanged(
      t,
      tenant,
      async () => {
        const { error, response } = await raw.POST('/api/items', {
          body: { name: `extra ${randomUUID()}`, colour: 'red' } as never,
        });
        // The fields of supertest's Response that expectUnchanged reads.
        return { status: response.status, body: error, headers: Object.fromEntries(response.headers) } as never;
      },
      400,
      'validation_failed',
    );
    expect(res.body.details).toEqual([{ field: 'colour', message: 'property colour should not exist' }]);
  });

  // Why `no-ambiguous-paths` is ignored in .redocly.lint-ignore.yaml: the SKU route wins over `{id}/movements`.
  it('reads an item whose SKU is MOVEMENTS by SKU, not as the movements of an item "sku"', async () => {
    const sku = 'MOVEMENTS';
    const item = unwrap(await api.POST('/api/items', { body: { name: `ambiguous ${randomUUID()}`, sku } })).data;
    const bySku = unwrap(await api.GET('/api/items/sku/{sku}', { params: { path: { sku } } })).data;
    expect(bySku.id).toBe(item.id);
  });
});
