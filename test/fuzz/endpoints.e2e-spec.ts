import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { EVENT_TYPES } from '../../src/events/event.js';
import { checkLedger } from '../../src/ledger/ledger-check.js';
import { MOVEMENT_TYPES } from '../../src/ledger/movement.js';
import { SCOPES } from '../../src/auth/scopes.js';
import { newKey } from '../support/api-keys.js';
import { newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { feed } from '../support/events.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/test-app.js';
import {
  announceSeed,
  bodyCase,
  expectContract,
  expectNoPollution,
  fingerprint,
  FUZZ_RUNS,
  fuzzParams,
  garbageAuth,
  headerCase,
  invalidUtf8,
  nastyString,
  pathIdCase,
  percentEncode,
  propertyTimeout,
  queryCase,
  Tally,
  type BodySpec,
} from './support/fuzz-kit.js';

// Every endpoint, fed random and hostile bodies, headers, query strings and path
// ids by fast-check. Whatever comes in, the answer is JSON in the contract's
// envelope, never a 5xx; a request that any correct service must refuse is a 4xx;
// and a refused request (or any GET) changes nothing of either tenant.
//
// Classification: a request is "must reject" when the generator knows it broke a
// rule (unknown or polluting field, non-integer in an integer field, missing
// required field, unparseable JSON, a path id that is no UUID, no or a bad key).
// Everything else may legitimately succeed (fast-check often builds valid
// requests from the valid generators); a 2xx is then only checked for its shape.

const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

type Auth = 'tenant' | 'admin' | 'public';

interface Endpoint {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  auth: Auth;
  /** Success is not JSON by design (Prometheus text); errors still are. */
  textSuccess?: boolean;
  body?: BodySpec;
  query?: { valid: fc.Arbitrary<Record<string, string>>; keys: string[] };
}

interface World {
  a: TestTenant;
  b: TestTenant;
  items: string[];
  skus: string[];
  warehouses: string[];
  codes: string[];
  /** A position in A's event feed (its first page's next_cursor). */
  eventCursor: string;
  reservations: string[];
  orders: string[];
  tenants: string[];
  webhooks: string[];
  /** A third tenant, and its keys, for the admin routes that disable tenants and revoke or rotate keys. */
  spares: string[];
  spareKeys: string[];
}

describe('fuzz: every endpoint against hostile input', () => {
  let t: TestApp;
  let w: World;
  const tally = new Tally();

  beforeAll(async () => {
    announceSeed();
    // Webhook URLs on loopback (nothing listens; the relay is off in tests): the address policy is tested elsewhere.
    t = await startTestApp({ ENABLE_CRON: 'false', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    const a = await newTenant(t);
    const b = await newTenant(t);
    const items: string[] = [];
    const skus = ['FUZZ-1', 'FUZZ-2', 'FUZZ-3'];
    for (const sku of skus) items.push((await newItem(t, a, { qty: 1_000_000, sku })).id);
    await newItem(t, b, { qty: 10 });
    const second = await t.http
      .post('/api/warehouses')
      .set(a.auth)
      .send({ code: 'FUZZ-2', name: 'Second', priority: 1 })
      .expect(201);
    const warehouses = [a.defaultWarehouseId, second.body.data.id];
    const reservations: string[] = [];
    const orders: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await t.http
        .post('/api/reservations')
        .set(a.auth)
        .send({ lines: [{ item_id: items[i % 3], quantity: 1 }] })
        .expect(201);
      reservations.push(r.body.data.id);
      const o = await t.http
        .post('/api/orders')
        .set(a.auth)
        .send({ currency: 'EUR', lines: [{ item_id: items[i % 3], quantity: 1, unit_price: 100 }] })
        .expect(201);
      orders.push(o.body.data.id);
    }
    const webhooks: string[] = [];
    for (const url of ['http://127.0.0.1:9/hooks/a', 'http://127.0.0.1:9/hooks/b']) {
      webhooks.push((await t.http.post('/api/webhooks').set(a.auth).send({ url }).expect(201)).body.data.id);
    }
    const page = await feed(t, a, { limit: 5 }).expect(200);
    const codes = ['default', 'FUZZ-2'];
    const spare = await newTenant(t);
    const spareKeys = [spare.keyId];
    for (let i = 0; i < 2; i++) spareKeys.push((await newKey(t, spare)).id);
    w = {
      a,
      b,
      items,
      skus,
      warehouses,
      codes,
      eventCursor: page.body.page.next_cursor,
      reservations,
      orders,
      tenants: [a.id],
      webhooks,
      spares: [spare.id],
      spareKeys,
    };
  });

  afterAll(async () => {
    console.log(tally.line('endpoints'));
    await t.close();
  });

  // Valid generators, built lazily because they need the fixtures' ids.
  const name = () =>
    fc.tuple(fc.stringMatching(/^[A-Za-z][A-Za-z0-9 ._-]{0,20}$/), fc.nat()).map(([s, n]) => `${s}-${n}`);
  const statuses = ['pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled'];
  const iso = fc
    .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString());
  const optional = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });
  const compact = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const limit = optional(fc.integer({ min: 1, max: 100 }).map(String));
  const page = {
    valid: fc.record({ limit }).map(compact) as fc.Arbitrary<Record<string, string>>,
    keys: ['limit', 'cursor'],
  };
  const future = fc
    .integer({ min: 60, max: 10 * 365 * 86_400 })
    .map((s) => new Date(Date.now() + s * 1000).toISOString());
  const keyBody = fc
    .record({
      label: optional(name()),
      scopes: optional(fc.subarray([...SCOPES], { minLength: 1 })),
      expires_at: optional(future),
    })
    .map(compact);

  const bodyless: BodySpec = { valid: fc.constant({}), bodyless: true };

  const webhookEndpoints = (): Record<string, Endpoint> => {
    const url = fc.constantFrom('http://127.0.0.1:9/hooks/a', 'https://127.0.0.1:9/x?y=1', 'http://localhost:9/h');
    const types = fc.subarray([...EVENT_TYPES], { minLength: 1 });
    return {
      'POST /api/webhooks': {
        method: 'post',
        path: '/api/webhooks',
        auth: 'tenant',
        body: {
          valid: fc
            .record({ url, event_types: optional(types), description: optional(fc.string({ maxLength: 40 })) })
            .map(compact),
          integers: [],
          required: ['url'],
        },
      },
      'GET /api/webhooks': { method: 'get', path: '/api/webhooks', auth: 'tenant', body: bodyless, query: page },
      'GET /api/webhooks/:id': { method: 'get', path: '/api/webhooks/:webhook', auth: 'tenant', body: bodyless },
      'PATCH /api/webhooks/:id': {
        method: 'patch',
        path: '/api/webhooks/:webhook',
        auth: 'tenant',
        body: {
          valid: fc
            .record({
              url: optional(url),
              event_types: optional(fc.option(types, { nil: null })),
              description: optional(fc.option(fc.string({ maxLength: 40 }), { nil: null })),
              active: optional(fc.boolean()),
            })
            .map(compact),
          integers: [],
        },
      },
      'DELETE /api/webhooks/:id': { method: 'delete', path: '/api/webhooks/:webhook', auth: 'tenant', body: bodyless },
      'POST /api/webhooks/:id/rotate-secret': {
        method: 'post',
        path: '/api/webhooks/:webhook/rotate-secret',
        auth: 'tenant',
        body: bodyless,
      },
      'GET /api/webhooks/:id/deliveries': {
        method: 'get',
        path: '/api/webhooks/:webhook/deliveries',
        auth: 'tenant',
        body: bodyless,
        query: {
          valid: fc
            .record({ limit, status: optional(fc.constantFrom('pending', 'succeeded', 'failed')) })
            .map(compact) as fc.Arbitrary<Record<string, string>>,
          keys: ['limit', 'cursor', 'status'],
        },
      },
      // A delivery id nobody has: the route must answer 404 JSON, whatever the webhook.
      'POST /api/webhooks/:id/deliveries/:delivery/retry': {
        method: 'post',
        path: '/api/webhooks/:webhook/deliveries/00000000-0000-4000-8000-000000000000/retry',
        auth: 'tenant',
        body: bodyless,
      },
      'POST /api/webhooks/:id/replay': {
        method: 'post',
        path: '/api/webhooks/:webhook/replay',
        auth: 'tenant',
        body: {
          valid: fc.oneof(fc.record({ after: fc.constant(w.eventCursor) }), fc.record({ from: iso })),
          integers: [],
        },
      },
    };
  };

  const endpoints = (): Record<string, Endpoint> => {
    const item = fc.constantFrom(...w.items);
    const warehouse = fc.constantFrom(...w.warehouses);
    // An item by id or SKU, a warehouse by id or code (prefixed: from_, to_).
    const itemRef = fc.oneof(
      item.map((id) => ({ item_id: id })),
      fc.constantFrom(...w.skus).map((sku) => ({ sku })),
    );
    const warehouseRef = (prefix = '') =>
      fc.oneof(
        warehouse.map((id) => ({ [`${prefix}warehouse_id`]: id })),
        fc.constantFrom(...w.codes).map((code) => ({ [`${prefix}warehouse_code`]: code })),
      );
    const line = fc
      .tuple(itemRef, optional(warehouseRef()), fc.integer({ min: 1, max: 3 }))
      .map(([i, wh, quantity]) => ({ ...i, quantity, ...wh }));
    const countLine = fc
      .tuple(itemRef, warehouseRef(), fc.integer({ min: 0, max: 20 }), optional(fc.integer({ min: 0, max: 20 })))
      .map(([i, wh, on_hand, expected_on_hand]) => compact({ ...i, ...wh, on_hand, expected_on_hand }));
    const movementFilters = {
      limit,
      warehouse_id: optional(warehouse),
      type: optional(fc.constantFrom(...MOVEMENT_TYPES)),
      reference: optional(fc.constantFrom('po:fuzz', 'count:fuzz', `reservation:${w.reservations[0]}`)),
      from: optional(iso),
      to: optional(iso),
    };
    const movementKeys = ['limit', 'cursor', 'warehouse_id', 'type', 'reference', 'from', 'to'];
    return {
      'POST /api/items': {
        method: 'post',
        path: '/api/items',
        auth: 'tenant',
        body: {
          valid: fc
            .record({
              name: name(),
              sku: optional(fc.stringMatching(/^[A-Z0-9][A-Z0-9._-]{0,20}$/)),
              description: optional(fc.string({ maxLength: 50 })),
              qty: optional(fc.integer({ min: 0, max: 1000 })),
            })
            .map(compact),
          integers: ['qty'],
          required: ['name'],
        },
      },
      'GET /api/items': {
        method: 'get',
        path: '/api/items',
        auth: 'tenant',
        body: bodyless,
        query: {
          valid: fc
            .record({ limit, sku: optional(fc.stringMatching(/^[A-Z0-9]{1,10}$/)), name: optional(name()) })
            .map(compact) as fc.Arbitrary<Record<string, string>>,
          keys: ['limit', 'cursor', 'sku', 'name'],
        },
      },
      'GET /api/items/:id': { method: 'get', path: '/api/items/:item', auth: 'tenant', body: bodyless },
      'GET /api/items/sku/:sku': { method: 'get', path: '/api/items/sku/:sku', auth: 'tenant', body: bodyless },
      'PATCH /api/items/:id': {
        method: 'patch',
        path: '/api/items/:item',
        auth: 'tenant',
        body: {
          // reorder_point takes null (clears it): not among the integer fields, whose null must be refused.
          valid: fc
            .record({
              name: optional(name()),
              sku: optional(fc.option(fc.stringMatching(/^[A-Z0-9][A-Z0-9._-]{0,20}$/), { nil: null })),
              description: optional(fc.option(fc.string({ maxLength: 50 }), { nil: null })),
              reorder_point: optional(fc.option(fc.integer({ min: 0, max: 1000 }), { nil: null })),
            })
            .map(compact),
        },
      },
      'GET /api/items/:id/movements': {
        method: 'get',
        path: '/api/items/:item/movements',
        auth: 'tenant',
        body: bodyless,
        query: {
          valid: fc.record(movementFilters).map(compact) as fc.Arbitrary<Record<string, string>>,
          keys: movementKeys,
        },
      },
      'GET /api/stock-movements': {
        method: 'get',
        path: '/api/stock-movements',
        auth: 'tenant',
        body: bodyless,
        query: {
          valid: fc.record({ ...movementFilters, item_id: optional(item) }).map(compact) as fc.Arbitrary<
            Record<string, string>
          >,
          keys: [...movementKeys, 'item_id'],
        },
      },
      'GET /api/events': {
        method: 'get',
        path: '/api/events',
        auth: 'tenant',
        body: bodyless,
        query: {
          // wait is kept short: a page with nothing new is held open that long.
          valid: fc
            .record({
              after: optional(fc.constant(w.eventCursor)),
              types: optional(fc.subarray([...EVENT_TYPES], { minLength: 1 }).map((t) => t.join(','))),
              limit,
              wait: optional(fc.constantFrom('0', '0', '1')),
            })
            .map(compact) as fc.Arbitrary<Record<string, string>>,
          keys: ['after', 'types', 'limit', 'wait'],
        },
      },
      'PATCH /api/items/:id/qty': {
        method: 'patch',
        path: '/api/items/:item/qty',
        auth: 'tenant',
        body: {
          valid: fc
            .record({
              delta: fc.integer({ min: -5, max: 5 }),
              warehouse_id: optional(warehouse),
              reason: optional(fc.string({ maxLength: 20 })),
            })
            .map(compact),
          integers: ['delta'],
          required: ['delta'],
        },
      },
      'DELETE /api/items/:id': { method: 'delete', path: '/api/items/:item', auth: 'tenant', body: bodyless },
      'POST /api/warehouses': {
        method: 'post',
        path: '/api/warehouses',
        auth: 'tenant',
        body: {
          valid: fc
            .record({
              code: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/),
              name: name(),
              priority: optional(fc.integer({ min: -1_000_000, max: 1_000_000 })),
            })
            .map(compact),
          integers: ['priority'],
          required: ['code', 'name'],
        },
      },
      'GET /api/warehouses': {
        method: 'get',
        path: '/api/warehouses',
        auth: 'tenant',
        body: bodyless,
        query: {
          valid: fc.record({ limit }).map(compact) as fc.Arbitrary<Record<string, string>>,
          keys: ['limit', 'cursor'],
        },
      },
      'GET /api/warehouses/:id': { method: 'get', path: '/api/warehouses/:warehouse', auth: 'tenant', body: bodyless },
      ...webhookEndpoints(),
      'PATCH /api/warehouses/:id': {
        method: 'patch',
        path: '/api/warehouses/:warehouse',
        auth: 'tenant',
        body: {
          valid: fc
            .record({
              name: optional(name()),
              priority: optional(fc.integer({ min: -1_000_000, max: 1_000_000 })),
              active: optional(fc.boolean()),
            })
            .map(compact),
          integers: ['priority'],
        },
      },
      'POST /api/availability': {
        method: 'post',
        path: '/api/availability',
        auth: 'tenant',
        body: {
          valid: fc.record({ items: fc.array(itemRef, { minLength: 1, maxLength: 5 }) }),
          required: ['items'],
        },
      },
      'POST /api/reservations': {
        method: 'post',
        path: '/api/reservations',
        auth: 'tenant',
        body: {
          valid: fc
            .record({
              lines: fc.array(line, { minLength: 1, maxLength: 3 }),
              ttl_seconds: optional(fc.integer({ min: 1, max: 86_400 })),
              reference: optional(name()),
            })
            .map(compact),
          integers: ['ttl_seconds'],
          required: ['lines'],
        },
      },
      'POST /api/stock/counts': {
        method: 'post',
        path: '/api/stock/counts',
        auth: 'tenant',
        body: {
          valid: fc
            .record({
              lines: fc.array(countLine, { minLength: 1, maxLength: 3 }),
              reference: optional(name()),
              reason: optional(fc.string({ maxLength: 20 })),
            })
            .map(compact),
          required: ['lines'],
        },
      },
      'POST /api/stock/transfers': {
        method: 'post',
        path: '/api/stock/transfers',
        auth: 'tenant',
        body: {
          valid: fc
            .tuple(
              itemRef,
              warehouseRef('from_'),
              warehouseRef('to_'),
              fc.integer({ min: 1, max: 5 }),
              optional(name()),
            )
            .map(([i, from, to, quantity, reference]) => compact({ ...i, ...from, ...to, quantity, reference })),
          integers: ['quantity'],
          // Exactly one of each pair is there: dropping it leaves none.
          required: [
            'item_id',
            'sku',
            'from_warehouse_id',
            'from_warehouse_code',
            'to_warehouse_id',
            'to_warehouse_code',
            'quantity',
          ],
        },
      },
      'POST /api/stock/adjustments': {
        method: 'post',
        path: '/api/stock/adjustments',
        auth: 'tenant',
        body: {
          valid: fc
            .record({
              lines: fc.array(
                fc.oneof(
                  fc
                    .tuple(itemRef, warehouseRef(), fc.integer({ min: -5, max: 5 }))
                    .map(([i, wh, delta]) => ({ ...i, ...wh, delta })),
                  countLine,
                ),
                { minLength: 1, maxLength: 3 },
              ),
              reference: optional(name()),
              mode: optional(fc.constantFrom('all_or_nothing', 'per_line')),
            })
            .map(compact),
          required: ['lines'],
        },
      },
      'GET /api/reservations': {
        method: 'get',
        path: '/api/reservations',
        auth: 'tenant',
        body: bodyless,
        query: {
          valid: fc
            .record({
              limit,
              status: optional(fc.constantFrom('active', 'released', 'expired', 'committed')),
              reference: optional(name()),
            })
            .map(compact) as fc.Arbitrary<Record<string, string>>,
          keys: ['limit', 'cursor', 'status', 'reference'],
        },
      },
      'GET /api/reservations/:id': {
        method: 'get',
        path: '/api/reservations/:reservation',
        auth: 'tenant',
        body: bodyless,
      },
      'POST /api/reservations/:id/release': {
        method: 'post',
        path: '/api/reservations/:reservation/release',
        auth: 'tenant',
        body: bodyless,
      },
      'POST /api/reservations/:id/extend': {
        method: 'post',
        path: '/api/reservations/:reservation/extend',
        auth: 'tenant',
        body: {
          valid: fc.record({ ttl_seconds: fc.integer({ min: 1, max: 86_400 }) }),
          integers: ['ttl_seconds'],
          required: ['ttl_seconds'],
        },
      },
      'POST /api/orders': {
        method: 'post',
        path: '/api/orders',
        auth: 'tenant',
        body: {
          valid: fc.oneof(
            fc
              .record({
                currency: fc.constantFrom('EUR', 'USD'),
                lines: fc.array(
                  line.map((l) => ({ ...l, unit_price: 100 })),
                  { minLength: 1, maxLength: 3 },
                ),
                customer_ref: optional(name()),
                ttl_seconds: optional(fc.integer({ min: 1, max: 86_400 })),
              })
              .map(compact),
            fc.record({
              currency: fc.constant('EUR'),
              reservation_id: fc.constantFrom(...w.reservations),
              prices: fc.constantFrom(...w.items).map((item_id) => [{ item_id, unit_price: 5 }]),
            }),
          ),
          integers: ['ttl_seconds'],
          required: ['currency'],
        },
      },
      'GET /api/orders': {
        method: 'get',
        path: '/api/orders',
        auth: 'tenant',
        body: bodyless,
        query: {
          valid: fc
            .record({
              limit,
              status: optional(fc.subarray(statuses, { minLength: 1 }).map((s) => s.join(','))),
              sort: optional(fc.constantFrom('newest', 'oldest', 'highest_value', 'lowest_value')),
              created_from: optional(iso),
              created_to: optional(iso),
              min_total: optional(fc.integer({ min: 0, max: 10_000 }).map(String)),
              max_total: optional(fc.integer({ min: 0, max: 10_000 }).map(String)),
              customer_ref: optional(name()),
            })
            .map(compact) as fc.Arbitrary<Record<string, string>>,
          keys: [
            'limit',
            'cursor',
            'status',
            'sort',
            'created_from',
            'created_to',
            'min_total',
            'max_total',
            'customer_ref',
          ],
        },
      },
      'GET /api/orders/:id': { method: 'get', path: '/api/orders/:order', auth: 'tenant', body: bodyless },
      'POST /api/orders/:id/transitions': {
        method: 'post',
        path: '/api/orders/:order/transitions',
        auth: 'tenant',
        body: { valid: fc.record({ to: fc.constantFrom(...statuses) }), required: ['to'] },
      },
      'GET /api/audit-logs': {
        method: 'get',
        path: '/api/audit-logs',
        auth: 'tenant',
        body: bodyless,
        query: {
          valid: fc
            .record({
              limit,
              object_type: optional(fc.constantFrom('tenant', 'api_key', 'warehouse', 'item', 'reservation', 'order')),
              object_id: optional(fc.constantFrom(...w.items, ...w.orders)),
              action: optional(
                fc.constantFrom('item.created', 'stock.adjusted', 'reservation.created', 'order.status_changed'),
              ),
              from: optional(iso),
              to: optional(iso),
            })
            .map(compact) as fc.Arbitrary<Record<string, string>>,
          keys: ['limit', 'cursor', 'object_type', 'object_id', 'action', 'from', 'to'],
        },
      },
      'POST /api/admin/tenants': {
        method: 'post',
        path: '/api/admin/tenants',
        auth: 'admin',
        body: { valid: fc.record({ name: name() }), required: ['name'] },
      },
      'GET /api/admin/tenants': {
        method: 'get',
        path: '/api/admin/tenants',
        auth: 'admin',
        body: bodyless,
        query: page,
      },
      'POST /api/admin/tenants/:id/disable': {
        method: 'post',
        path: '/api/admin/tenants/:spare/disable',
        auth: 'admin',
        body: bodyless,
      },
      'POST /api/admin/tenants/:id/enable': {
        method: 'post',
        path: '/api/admin/tenants/:spare/enable',
        auth: 'admin',
        body: bodyless,
      },
      'POST /api/admin/tenants/:id/api-keys': {
        method: 'post',
        path: '/api/admin/tenants/:tenant/api-keys',
        auth: 'admin',
        body: { valid: keyBody, optional: true },
      },
      'GET /api/admin/tenants/:id/api-keys': {
        method: 'get',
        path: '/api/admin/tenants/:tenant/api-keys',
        auth: 'admin',
        body: bodyless,
        query: page,
      },
      'DELETE /api/admin/tenants/:id/api-keys/:key': {
        method: 'delete',
        path: `/api/admin/tenants/${w.spares[0]}/api-keys/:spareKey`,
        auth: 'admin',
        body: bodyless,
      },
      'POST /api/admin/tenants/:id/api-keys/:key/rotate': {
        method: 'post',
        path: `/api/admin/tenants/${w.spares[0]}/api-keys/:spareKey/rotate`,
        auth: 'admin',
        body: {
          valid: fc
            .tuple(keyBody, optional(future))
            .map(([body, old]) => compact({ ...body, old_key_expires_at: old })),
          optional: true,
        },
      },
      'GET /api/admin/ledger': {
        method: 'get',
        path: '/api/admin/ledger',
        auth: 'admin',
        body: bodyless,
        query: {
          valid: fc.record({ tenant_id: fc.constantFrom(w.a.id, w.b.id) }),
          keys: ['tenant_id'],
        },
      },
      'GET /api/me': { method: 'get', path: '/api/me', auth: 'tenant', body: bodyless },
      'GET /metrics': { method: 'get', path: '/metrics', auth: 'public', body: bodyless, textSuccess: true },
      'GET /health/live': { method: 'get', path: '/health/live', auth: 'public', body: bodyless },
      'GET /health/ready': { method: 'get', path: '/health/ready', auth: 'public', body: bodyless },
    };
  };

  const ENDPOINT_NAMES = [
    'POST /api/items',
    'GET /api/items',
    'POST /api/availability',
    'GET /api/items/:id',
    'GET /api/items/sku/:sku',
    'PATCH /api/items/:id',
    'PATCH /api/items/:id/qty',
    'GET /api/items/:id/movements',
    'DELETE /api/items/:id',
    'POST /api/warehouses',
    'GET /api/warehouses',
    'GET /api/warehouses/:id',
    'PATCH /api/warehouses/:id',
    'POST /api/stock/counts',
    'POST /api/stock/transfers',
    'POST /api/stock/adjustments',
    'GET /api/stock-movements',
    'GET /api/events',
    'POST /api/reservations',
    'GET /api/reservations',
    'GET /api/reservations/:id',
    'POST /api/reservations/:id/release',
    'POST /api/reservations/:id/extend',
    'POST /api/orders',
    'GET /api/orders',
    'GET /api/orders/:id',
    'POST /api/orders/:id/transitions',
    'GET /api/audit-logs',
    'POST /api/admin/tenants',
    'GET /api/admin/tenants',
    'POST /api/admin/tenants/:id/disable',
    'POST /api/admin/tenants/:id/enable',
    'POST /api/admin/tenants/:id/api-keys',
    'GET /api/admin/tenants/:id/api-keys',
    'DELETE /api/admin/tenants/:id/api-keys/:key',
    'POST /api/admin/tenants/:id/api-keys/:key/rotate',
    'GET /api/admin/ledger',
    'POST /api/webhooks',
    'GET /api/webhooks',
    'GET /api/webhooks/:id',
    'PATCH /api/webhooks/:id',
    'DELETE /api/webhooks/:id',
    'POST /api/webhooks/:id/rotate-secret',
    'GET /api/webhooks/:id/deliveries',
    'POST /api/webhooks/:id/deliveries/:delivery/retry',
    'POST /api/webhooks/:id/replay',
    'GET /api/me',
    'GET /metrics',
    'GET /health/live',
    'GET /health/ready',
  ];

  it('fuzzes every operation the service documents, and only those', async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as { paths: Record<string, object> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
    );
    expect([...ENDPOINT_NAMES].sort()).toEqual(documented.sort());
    expect(Object.keys(endpoints()).sort()).toEqual([...ENDPOINT_NAMES].sort());
  });

  it.each(ENDPOINT_NAMES)(
    '%s',
    async (endpointName) => {
      const ep = endpoints()[endpointName]!;
      const idKind = /:(\w+)/.exec(ep.path)?.[1] as keyof World | undefined;
      const pathArb = idKind
        ? pathIdCase(w[`${idKind}s` as keyof World] as string[])
        : fc.constant({ label: 'no id', segment: '', mustReject: false });
      const queryArb = ep.query
        ? queryCase(ep.query.valid, ep.query.keys)
        : fc.oneof(
            { weight: 5, arbitrary: fc.constant({ label: 'no query', qs: '', mustReject: false }) },
            // Routes without query parameters ignore the query string: nothing to refuse.
            queryCase(fc.constant({}), ['x']).map((q) => ({ ...q, mustReject: false })),
          );
      const bodyArb = bodyCase(ep.body ?? { valid: fc.constant({}), bodyless: true });

      await fc.assert(
        fc.asyncProperty(
          pathArb,
          queryArb,
          headerCase(),
          bodyArb,
          garbageAuth,
          async (pathCase, query, headers, body, garbage) => {
            const path = idKind ? ep.path.replace(`:${idKind}`, () => pathCase.segment) : ep.path;
            const url = query.qs ? `${path}?${query.qs}` : path;
            let req = t.http[ep.method](url);

            const properKey = ep.auth === 'admin' ? `Bearer ${ADMIN_TOKEN}` : `Bearer ${w.a.key}`;
            const authValue = {
              key: properKey,
              none: undefined,
              garbage,
              other: `Bearer ${w.b.key}`,
              admin: `Bearer ${ADMIN_TOKEN}`,
            }[headers.auth];
            if (authValue !== undefined) req = req.set('Authorization', authValue);
            for (const [k, v] of Object.entries(headers.headers)) req = req.set(k, v);
            const authRejected =
              ep.auth === 'tenant'
                ? ['none', 'garbage', 'admin'].includes(headers.auth)
                : ep.auth === 'admin'
                  ? ['none', 'garbage', 'other'].includes(headers.auth)
                  : false;

            if (body.raw !== undefined || body.json !== undefined) {
              req = req
                .set('Content-Type', body.contentType ?? 'application/json')
                .send(body.raw ?? JSON.stringify(body.json));
            }

            const mustReject = pathCase.mustReject || query.mustReject || body.mustReject || authRejected;
            const context = `${ep.method.toUpperCase()} ${url.slice(0, 200)} [${pathCase.label}; ${query.label}; ${headers.label}; body ${body.label}]`;

            const before = await fingerprint(t, [w.a.id, w.b.id]);
            const res: Response = await req;
            tally.add(res);
            if (ep.textSuccess && res.status === 200) {
              expect(res.headers['content-type']).toMatch(/^text\/plain/);
            } else {
              expectContract(res, context);
            }
            expectNoPollution();
            if (mustReject) expect({ context, status: res.status >= 400 }).toEqual({ context, status: true });
            const sentId = headers.headers['X-Request-Id'];
            // Over Node's 16 kB for the request line and headers (431, 414), the parser refuses before reading any header.
            const parsed = res.status !== 431 && res.status !== 414;
            if (parsed && sentId !== undefined && SANE_REQUEST_ID.test(sentId))
              expect({ context, requestId: res.headers['x-request-id'] }).toEqual({ context, requestId: sentId });
            if (res.status >= 400 || ep.method === 'get') {
              expect({ context, state: await fingerprint(t, [w.a.id, w.b.id]) }).toEqual({ context, state: before });
            }
          },
        ),
        fuzzParams(),
      );
    },
    propertyTimeout(FUZZ_RUNS, 500),
  );

  it(
    'unknown routes and methods, with any path and body: JSON 404, nothing changes',
    async () => {
      const methods = ['get', 'post', 'put', 'patch', 'delete'] as const;
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...methods),
          fc.array(
            fc.oneof(
              nastyString.map(percentEncode),
              invalidUtf8,
              fc.constantFrom('api', 'items', 'orders', 'admin', 'health', 'docs-json', '..', 'qty'),
            ),
            {
              minLength: 1,
              maxLength: 4,
            },
          ),
          bodyCase({ valid: fc.constant({ a: 1 }) }),
          async (method, segments, body) => {
            const path = `/${segments.join('/')}`;
            // Real routes are fuzzed above; here only paths that name none (routing ignores letter case).
            fc.pre(
              !/^\/(api\/(items|warehouses|stock|stock-movements|events|reservations|orders|audit-logs|admin|me)|health|docs|metrics)/i.test(
                path,
              ),
            );
            const before = await fingerprint(t, [w.a.id]);
            let req = t.http[method](path).set(w.a.auth);
            if (body.raw !== undefined || body.json !== undefined) {
              req = req
                .set('Content-Type', body.contentType ?? 'application/json')
                .send(body.raw ?? JSON.stringify(body.json));
            }
            const res = await req;
            tally.add(res);
            const context = `${method.toUpperCase()} ${path.slice(0, 200)} [body ${body.label}]`;
            expectContract(res, context);
            expect({ context, status: res.status >= 400 }).toEqual({ context, status: true });
            expect(await fingerprint(t, [w.a.id])).toEqual(before);
          },
        ),
        fuzzParams(),
      );
    },
    propertyTimeout(FUZZ_RUNS, 500),
  );

  it('and after all of it, the ledger explains every unit of both tenants', async () => {
    for (const tenant of [w.a, w.b]) {
      const check = await checkLedger(t.db.manager, tenant.id);
      expect({ tenant: tenant.id, problems: check.problems }).toEqual({ tenant: tenant.id, problems: [] });
      expect(check.stock_rows).toBeGreaterThan(0);
    }
  });
});
