import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { allPages, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { type EventData, feed, readAll } from '../support/events.js';
import type { MovementData } from '../support/ledger.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { grants, type RouteScope, SCOPES } from '../../src/auth/scopes.js';
import { newKey, type TestKey } from '../support/api-keys.js';
import { announceSeed, expectContract, fingerprint, fuzzParams, Tally } from './support/fuzz-kit.js';
import { scopedCalls, type ScopeWorld } from './support/scoped-calls.js';

// Tenant isolation, fuzzed: tenant B's key on every endpoint, naming tenant A's
// ids (items, warehouses, reservations, orders, in any state, any letter case),
// SKUs and warehouse codes in paths, bodies and filters. Each answer is 404 (204
// for the idempotent DELETE; a per_line batch fails every such line), or an empty
// list; nothing of A (or B) changes; nothing of A shows up in the answer. And B's
// event feed and movement list, read to the end, hold nothing of A's activity.
// Scopes: every route that needs one, called with every key of B's that lacks
// it, on B's own objects or A's: 403 insufficient_scope naming it, nothing changes.

interface A {
  tenant: TestTenant;
  items: string[];
  skus: string[];
  warehouses: string[];
  reservations: string[];
  orders: string[];
  references: string[];
  secrets: string[];
  warehouseCode: string;
  eventCursor: string;
  world: ScopeWorld;
}

describe("fuzz: tenant B on tenant A's ids", () => {
  let t: TestApp;
  let a: A;
  let b: TestTenant;
  let bItem: string;
  let aCursor: string;
  let bWorld: ScopeWorld;
  /** B's keys: each scope alone, and for each scope every other scope that does not grant it. */
  let bKeys: TestKey[];
  const tally = new Tally();

  beforeAll(async () => {
    announceSeed();
    t = await startTestApp({ ENABLE_CRON: 'false', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
    const tenant = await newTenant(t);
    b = await newTenant(t);
    bItem = (await newItem(t, b, { qty: 50, name: 'b-item' })).id;
    const skus = ['ISO-A-1', 'ISO-A-2'];
    const items: string[] = [];
    for (const sku of skus) items.push((await newItem(t, tenant, { qty: 100, sku, name: `a-secret-${sku}` })).id);
    const wh = await t.http
      .post('/api/warehouses')
      .set(tenant.auth)
      .send({ code: 'A-SECRET-WH', name: 'a-secret-warehouse' })
      .expect(201);
    await t.http
      .patch(`/api/items/${items[0]}/qty`)
      .set(tenant.auth)
      .send({ delta: 10, warehouse_id: wh.body.data.id })
      .expect(200);
    const reservations: string[] = [];
    const orders: string[] = [];
    const references = ['a-secret-cart-1', 'a-secret-cust-1'];
    const reserve = async (reference: string) =>
      (
        await t.http
          .post('/api/reservations')
          .set(tenant.auth)
          .send({ lines: [{ item_id: items[0], quantity: 1 }], reference })
          .expect(201)
      ).body.data.id;
    reservations.push(await reserve(references[0]!)); // active
    const released = await reserve('a-secret-released');
    await t.http.post(`/api/reservations/${released}/release`).set(tenant.auth).expect(200);
    reservations.push(released);
    const order = async (path: string[]) => {
      const res = await t.http
        .post('/api/orders')
        .set(tenant.auth)
        .send({
          currency: 'EUR',
          customer_ref: references[1],
          lines: [{ item_id: items[1], quantity: 1, unit_price: 100 }],
        })
        .expect(201);
      for (const to of path)
        await t.http.post(`/api/orders/${res.body.data.id}/transitions`).set(tenant.auth).send({ to }).expect(200);
      orders.push(res.body.data.id);
      reservations.push(res.body.data.reservation_id);
    };
    await order([]); // pending
    await order(['confirmed']);
    await order(['confirmed', 'processing', 'shipped', 'delivered']);
    await order(['cancelled']);
    // Activity of every kind of the stock operations, so that A has movements and events of each.
    const [w0, w1] = [tenant.defaultWarehouseId, wh.body.data.id as string];
    await t.http
      .post('/api/stock/counts')
      .set(tenant.auth)
      .send({ lines: [{ item_id: items[1], warehouse_id: w1, on_hand: 7 }] })
      .expect(200);
    await t.http
      .post('/api/stock/transfers')
      .set(tenant.auth)
      .send({ sku: skus[0], from_warehouse_code: 'A-SECRET-WH', to_warehouse_id: w0, quantity: 2 })
      .expect(200);
    await t.http
      .post('/api/stock/adjustments')
      .set(tenant.auth)
      .send({ mode: 'per_line', lines: [{ item_id: items[0], warehouse_id: w0, delta: -1, type: 'damaged' }] })
      .expect(200);
    await t.http.patch(`/api/items/${items[1]}`).set(tenant.auth).send({ reorder_point: 200 }).expect(200);
    await t.http.patch(`/api/warehouses/${w1}`).set(tenant.auth).send({ priority: 3 }).expect(200);
    const page = await t.http.get('/api/items').set(tenant.auth).query({ limit: 1 }).expect(200);
    aCursor = page.body.page.next_cursor;
    const events = await feed(t, tenant, { limit: 3 }).expect(200);
    a = {
      tenant,
      items,
      skus,
      warehouses: [tenant.defaultWarehouseId, wh.body.data.id],
      reservations,
      orders,
      references,
      secrets: ['a-secret', tenant.id, ...skus.map((sku) => sku.toLowerCase())],
      warehouseCode: 'A-SECRET-WH',
      eventCursor: events.body.page.next_cursor,
      world: {
        items,
        skus,
        warehouses: [tenant.defaultWarehouseId, wh.body.data.id],
        reservations,
        orders,
        webhooks: [await webhookOf(tenant)],
        eventCursor: events.body.page.next_cursor,
      },
    };
    bWorld = await worldOfB();
    const routeScopes = SCOPES.filter((s): s is RouteScope => s !== '*');
    bKeys = [];
    for (const scope of routeScopes) bKeys.push(await newKey(t, b, { scopes: [scope] }));
    for (const scope of routeScopes) {
      bKeys.push(await newKey(t, b, { scopes: routeScopes.filter((other) => !grants([other], scope)) }));
    }
  });

  async function webhookOf(tenant: TestTenant): Promise<string> {
    const res = await t.http
      .post('/api/webhooks')
      .set(tenant.auth)
      .send({ url: 'http://127.0.0.1:9/hooks/iso' })
      .expect(201);
    return res.body.data.id;
  }

  /** B's own objects of every kind, for the scope checks. */
  async function worldOfB(): Promise<ScopeWorld> {
    const sku = 'ISO-B-1';
    const item = (await newItem(t, b, { qty: 50, sku, name: 'b-scoped' })).id;
    const wh = await t.http.post('/api/warehouses').set(b.auth).send({ code: 'B-2', name: 'b-second' }).expect(201);
    const hold = await t.http
      .post('/api/reservations')
      .set(b.auth)
      .send({ lines: [{ item_id: item, quantity: 1 }] })
      .expect(201);
    const order = await t.http
      .post('/api/orders')
      .set(b.auth)
      .send({ currency: 'EUR', lines: [{ item_id: item, quantity: 1, unit_price: 5 }] })
      .expect(201);
    const events = await feed(t, b, { limit: 2 }).expect(200);
    return {
      items: [item, bItem],
      skus: [sku],
      warehouses: [b.defaultWarehouseId, wh.body.data.id],
      reservations: [hold.body.data.id, order.body.data.reservation_id],
      orders: [order.body.data.id],
      webhooks: [await webhookOf(b)],
      eventCursor: events.body.page.next_cursor,
    };
  }

  afterAll(async () => {
    console.log(tally.line('tenant isolation'));
    await t.close();
  });

  it("every endpoint with B's key on A's ids: 404 (204 for DELETE), nothing changes, nothing of A leaks", async () => {
    const caseOf = (id: string) => fc.constantFrom(id, id.toUpperCase());
    const item = fc.constantFrom(...a.items).chain(caseOf);
    const warehouse = fc.constantFrom(...a.warehouses).chain(caseOf);
    const reservation = fc.constantFrom(...a.reservations).chain(caseOf);
    const order = fc.constantFrom(...a.orders).chain(caseOf);
    const qty = fc.integer({ min: 1, max: 5 });
    const delta = fc.integer({ min: -5, max: 5 });
    const to = fc.constantFrom('confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'pending');

    const sku = fc.constantFrom(...a.skus);
    // A's item (by id or SKU) with any warehouse, or B's item in A's warehouse (by id or code).
    const itemOfA = fc.oneof(
      item.map((item_id) => ({ item_id })),
      sku.map((s) => ({ sku: s })),
    );
    const warehouseOfA = fc.oneof(
      warehouse.map((warehouse_id) => ({ warehouse_id })),
      fc.constant({ warehouse_code: a.warehouseCode }),
    );
    const warehouseOfB = fc.constantFrom({ warehouse_id: b.defaultWarehouseId }, { warehouse_code: 'default' });
    const rowOfA = fc.oneof(
      fc.tuple(itemOfA, fc.oneof(warehouseOfA, warehouseOfB)).map(([i, w]) => ({ ...i, ...w })),
      warehouseOfA.map((w) => ({ item_id: bItem, ...w })),
    );
    /** The warehouse a reference resolves to (as B's request is read: codes are B's or unknown). */
    const warehouseOf = (ref: { warehouse_id?: string; warehouse_code?: string }) =>
      ref.warehouse_code === 'default' ? b.defaultWarehouseId : (ref.warehouse_id?.toLowerCase() ?? ref.warehouse_code);
    const prefixed = (prefix: string, ref: object) =>
      Object.fromEntries(Object.entries(ref).map(([k, v]) => [`${prefix}${k}`, v]));

    type Call = {
      label: string;
      method: 'get' | 'post' | 'patch' | 'delete';
      path: string;
      body?: object;
      expect: number;
      /** A per_line batch: 200, and every line failed as not_found. */
      everyLineNotFound?: boolean;
    };
    const calls: fc.Arbitrary<Call> = fc.oneof(
      item.map((id) => ({ label: 'get item', method: 'get' as const, path: `/api/items/${id}`, expect: 404 })),
      fc.tuple(item, delta, fc.option(warehouse, { nil: undefined })).map(([id, d, w]) => ({
        label: 'adjust A item',
        method: 'patch' as const,
        path: `/api/items/${id}/qty`,
        body: { delta: d, ...(w ? { warehouse_id: w } : {}) },
        expect: 404,
      })),
      fc.tuple(delta, warehouse).map(([d, w]) => ({
        label: "adjust B's item in A's warehouse",
        method: 'patch' as const,
        path: `/api/items/${bItem}/qty`,
        body: { delta: d, warehouse_id: w },
        expect: 404,
      })),
      item.map((id) => ({ label: 'delete item', method: 'delete' as const, path: `/api/items/${id}`, expect: 204 })),
      fc
        .tuple(
          item,
          fc.constantFrom({ name: 'b-renamed' }, { sku: 'B-SKU' }, { reorder_point: 1 }, { description: null }),
        )
        .map(([id, body]) => ({
          label: 'patch item',
          method: 'patch' as const,
          path: `/api/items/${id}`,
          body,
          expect: 404,
        })),
      sku.map((s) => ({ label: 'item by A sku', method: 'get' as const, path: `/api/items/sku/${s}`, expect: 404 })),
      item.map((id) => ({
        label: 'item movements',
        method: 'get' as const,
        path: `/api/items/${id}/movements`,
        expect: 404,
      })),
      fc
        .tuple(warehouse, fc.constantFrom({ active: false }, { priority: 5 }, { name: 'b-renamed' }))
        .map(([id, body]) => ({
          label: 'patch warehouse',
          method: 'patch' as const,
          path: `/api/warehouses/${id}`,
          body,
          expect: 404,
        })),
      fc.tuple(rowOfA, fc.integer({ min: 0, max: 200 }), fc.boolean()).map(([row, onHand, cas]) => ({
        label: 'count A row',
        method: 'post' as const,
        path: '/api/stock/counts',
        body: { lines: [{ ...row, on_hand: onHand, ...(cas ? { expected_on_hand: 100 } : {}) }] },
        expect: 404,
      })),
      fc
        .tuple(
          fc.oneof(
            fc.tuple(itemOfA, fc.oneof(warehouseOfA, warehouseOfB), fc.oneof(warehouseOfA, warehouseOfB)),
            fc.tuple(fc.constant({ item_id: bItem }), warehouseOfA, warehouseOfB),
            fc.tuple(fc.constant({ item_id: bItem }), warehouseOfB, warehouseOfA),
          ),
          qty,
        )
        // Two different warehouses (by id in any letter case, or by code), else it is a validation_failed.
        .filter(([[, from, to]]) => warehouseOf(from) !== warehouseOf(to))
        .map(([[i, from, to], quantity]) => ({
          label: 'transfer A stock',
          method: 'post' as const,
          path: '/api/stock/transfers',
          body: { ...i, ...prefixed('from_', from), ...prefixed('to_', to), quantity },
          expect: 404,
        })),
      fc
        .tuple(fc.array(fc.tuple(rowOfA, delta), { minLength: 1, maxLength: 3 }), fc.boolean())
        .map(([lines, perLine]) => ({
          label: `adjust A rows${perLine ? ' per line' : ''}`,
          method: 'post' as const,
          path: '/api/stock/adjustments',
          body: {
            lines: lines.map(([row, d]) => ({ ...row, delta: d })),
            ...(perLine ? { mode: 'per_line' } : {}),
          },
          expect: perLine ? 200 : 404,
          everyLineNotFound: perLine,
        })),
      warehouse.map((id) => ({
        label: 'get warehouse',
        method: 'get' as const,
        path: `/api/warehouses/${id}`,
        expect: 404,
      })),
      reservation.map((id) => ({
        label: 'get reservation',
        method: 'get' as const,
        path: `/api/reservations/${id}`,
        expect: 404,
      })),
      reservation.map((id) => ({
        label: 'release',
        method: 'post' as const,
        path: `/api/reservations/${id}/release`,
        expect: 404,
      })),
      fc.tuple(reservation, fc.integer({ min: 1, max: 86_400 })).map(([id, ttl]) => ({
        label: 'extend',
        method: 'post' as const,
        path: `/api/reservations/${id}/extend`,
        body: { ttl_seconds: ttl },
        expect: 404,
      })),
      fc
        .array(fc.tuple(fc.oneof(item, fc.constant(bItem)), qty, fc.option(warehouse, { nil: undefined })), {
          minLength: 1,
          maxLength: 3,
        })
        .filter((lines) => lines.some(([id, , w]) => id.toLowerCase() !== bItem || w !== undefined))
        .map((lines) => ({
          label: 'reserve A items (or B item in A warehouse)',
          method: 'post' as const,
          path: '/api/reservations',
          body: {
            lines: lines.map(([item_id, quantity, warehouse_id]) => ({
              item_id,
              quantity,
              ...(warehouse_id ? { warehouse_id } : {}),
            })),
          },
          expect: 404,
        })),
      fc.tuple(rowOfA, qty).map(([row, quantity]) => ({
        label: 'reserve by A sku / code',
        method: 'post' as const,
        path: '/api/reservations',
        body: { lines: [{ ...row, quantity }] },
        expect: 404,
      })),
      fc.tuple(rowOfA, qty).map(([row, quantity]) => ({
        label: 'order by A sku / code',
        method: 'post' as const,
        path: '/api/orders',
        body: { currency: 'EUR', lines: [{ ...row, quantity, unit_price: 1 }] },
        expect: 404,
      })),
      fc.tuple(item, qty).map(([item_id, quantity]) => ({
        label: 'order A items',
        method: 'post' as const,
        path: '/api/orders',
        body: { currency: 'EUR', lines: [{ item_id, quantity, unit_price: 1 }] },
        expect: 404,
      })),
      fc.tuple(reservation, item).map(([reservation_id, item_id]) => ({
        label: 'order from A reservation',
        method: 'post' as const,
        path: '/api/orders',
        body: { currency: 'EUR', reservation_id, prices: [{ item_id, unit_price: 1 }] },
        expect: 404,
      })),
      order.map((id) => ({ label: 'get order', method: 'get' as const, path: `/api/orders/${id}`, expect: 404 })),
      fc.tuple(order, to).map(([id, status]) => ({
        label: 'transition',
        method: 'post' as const,
        path: `/api/orders/${id}/transitions`,
        body: { to: status },
        expect: 404,
      })),
      // Lists filtered by A's values: 200 and empty (or only B's rows).
      fc.oneof(item, order, reservation, warehouse).map((id) => ({
        label: 'audit of A object',
        method: 'get' as const,
        path: `/api/audit-logs?object_id=${id}`,
        expect: 200,
      })),
      fc.constantFrom(...a.skus).map((sku) => ({
        label: 'items by A sku',
        method: 'get' as const,
        path: `/api/items?sku=${sku}`,
        expect: 200,
      })),
      fc.constantFrom(...a.references).map((ref) => ({
        label: 'reservations by A reference',
        method: 'get' as const,
        path: `/api/reservations?reference=${ref}`,
        expect: 200,
      })),
      fc.constantFrom(...a.references).map((ref) => ({
        label: 'orders by A customer_ref',
        method: 'get' as const,
        path: `/api/orders?customer_ref=${ref}`,
        expect: 200,
      })),
      fc.oneof(item, warehouse).map((id) => ({
        label: 'movements filtered by A object',
        method: 'get' as const,
        path: `/api/stock-movements?${a.items.includes(id.toLowerCase()) ? 'item_id' : 'warehouse_id'}=${id}`,
        expect: 200,
      })),
      fc.constant({
        label: "A's cursor",
        method: 'get' as const,
        path: `/api/items?cursor=${encodeURIComponent(aCursor)}`,
        expect: 200,
      }),
      fc.constant({
        label: "A's feed position",
        method: 'get' as const,
        path: `/api/events?after=${encodeURIComponent(a.eventCursor)}&limit=100`,
        expect: 200,
      }),
      fc
        .constantFrom(
          '/api/items',
          '/api/warehouses',
          '/api/reservations',
          '/api/orders',
          '/api/audit-logs',
          '/api/stock-movements',
          '/api/events',
        )
        .map((path) => ({
          label: 'plain list',
          method: 'get' as const,
          path: `${path}?limit=100`,
          expect: 200,
        })),
    );

    await fc.assert(
      fc.asyncProperty(calls, async (call) => {
        const before = await fingerprint(t, [a.tenant.id, b.id]);
        let req = t.http[call.method](call.path).set(b.auth);
        if (call.body) req = req.send(call.body);
        const res: Response = await req;
        tally.add(res);
        const context = `${call.label}: ${call.method.toUpperCase()} ${call.path} ${JSON.stringify(call.body ?? null)}`;
        expectContract(res, context);
        expect({ context, status: res.status, error: res.body?.error }).toEqual({
          context,
          status: call.expect,
          error: call.expect === 404 ? 'not_found' : undefined,
        });
        if (call.everyLineNotFound) {
          const lines = (res.body.data.lines as { status: string; error?: string }[]).map((l) => [l.status, l.error]);
          expect({ context, lines }).toEqual({ context, lines: lines.map(() => ['failed', 'not_found']) });
        }
        expect({ context, state: await fingerprint(t, [a.tenant.id, b.id]) }).toEqual({ context, state: before });

        // Nothing of A in the answer, except what the caller itself sent (a 404 may name its ids, SKUs, codes).
        const sent = [
          ...decodeURIComponent(call.path).split(/[/?&=]/),
          ...(JSON.stringify(call.body ?? {}).match(/[^"{}[\]:,]+/g) ?? []),
        ].filter((v) => v.length >= 6);
        const text = sent.reduce(
          (rest, v) => rest.split(v.toLowerCase()).join(''),
          JSON.stringify(res.body ?? {}).toLowerCase(),
        );
        const aIds = [...a.items, ...a.warehouses, ...a.reservations, ...a.orders];
        const leaked = [...aIds, ...a.secrets.map((s) => s.toLowerCase())].filter((s) => text.includes(s));
        expect({ context, leaked }).toEqual({ context, leaked: [] });
        if (res.status === 200 && Array.isArray(res.body.data)) {
          // Movements and events have numbers for ids, everything else UUIDs.
          const numbered = /^\/api\/(stock-movements|events)/.exec(call.path)?.[1];
          const foreignSql = numbered
            ? `SELECT count(*)::int AS n FROM ${numbered === 'events' ? 'event' : 'stock_movement'}
               WHERE id = $1::bigint AND tenant_id <> $2`
            : `SELECT count(*)::int AS n FROM (SELECT id, tenant_id FROM item UNION ALL SELECT id, tenant_id FROM warehouse
                 UNION ALL SELECT id, tenant_id FROM reservation UNION ALL SELECT id, tenant_id FROM orders
                 UNION ALL SELECT id, tenant_id FROM audit_log) x WHERE x.id = $1 AND x.tenant_id <> $2`;
          for (const row of res.body.data as { id: string }[]) {
            const [{ n }] = await t.db.query(foreignSql, [row.id, b.id]);
            expect({ context, foreign: n }).toEqual({ context, foreign: 0 });
          }
        }
      }),
      fuzzParams(300),
    );
  });

  it("every route with each of B's keys lacking its scope, on B's ids or A's: 403 insufficient_scope, nothing changes", async () => {
    const doc = (await t.http.get('/docs-json').expect(200)).body as { paths: Record<string, Record<string, any>> };
    const scopeOf = new Map<string, RouteScope>();
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        const scope = op['x-required-scope'] as RouteScope | undefined;
        if (scope) scopeOf.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, scope);
      }
    }
    const calls = scopedCalls(bWorld, a.world);
    // Every route with a scope has its call here: a new route cannot be left out.
    expect(Object.keys(calls).sort()).toEqual([...scopeOf.keys()].sort());

    for (const [route, scope] of scopeOf) {
      const lacking = bKeys.filter((key) => !grants(key.scopes, scope));
      expect({ route, lacking: lacking.length >= 5 }).toEqual({ route, lacking: true });
      for (const key of lacking) {
        await fc.assert(
          fc.asyncProperty(calls[route]!, async (call) => {
            const context = `${route} with [${key.scopes.join(', ')}]: ${call.method.toUpperCase()} ${call.path} ${JSON.stringify(call.body ?? null)}`;
            const before = await fingerprint(t, [a.tenant.id, b.id]);
            let req = t.http[call.method](call.path).set(key.auth);
            if (call.body) req = req.send(call.body);
            const res: Response = await req;
            tally.add(res);
            expectContract(res, context);
            expect({
              context,
              status: res.status,
              error: res.body.error,
              scope: res.body.details?.[0]?.required_scope,
            }).toEqual({
              context,
              status: 403,
              error: 'insufficient_scope',
              scope,
            });
            expect({ context, state: await fingerprint(t, [a.tenant.id, b.id]) }).toEqual({ context, state: before });
          }),
          fuzzParams(2),
        );
      }
    }

    // And the calls reach their routes: with a key holding the scope, none is refused for it.
    for (const [route, scope] of scopeOf) {
      const holder = bKeys.find((key) => key.scopes.length === 1 && key.scopes[0] === scope)!;
      const [call] = fc.sample(calls[route]!, { seed: 1, numRuns: 1 });
      let req = t.http[call!.method](call!.path).set(holder.auth);
      if (call!.body) req = req.send(call!.body);
      const res: Response = await req;
      expect({ route, status: res.status < 500 && res.status !== 403 }).toEqual({ route, status: true });
    }
  });

  it("B's event feed and movement list, read to the end, hold only B's rows: none of A's activity", async () => {
    const { events, cursor } = await readAll(t, b);
    // A long poll of B's, woken by nothing A does meanwhile.
    const waiting = feed(t, b, { after: cursor, wait: 2, limit: 100 });
    for (const delta of [3, -1])
      await t.http.patch(`/api/items/${a.items[1]}/qty`).set(a.tenant.auth).send({ delta }).expect(200);
    await t.http
      .post('/api/stock/counts')
      .set(a.tenant.auth)
      .send({ lines: [{ sku: a.skus[1], warehouse_code: a.warehouseCode, on_hand: 9 }] })
      .expect(200);
    const woken = await waiting.expect(200);
    expect(woken.body.data).toEqual([]);
    const movements = (await allPages<MovementData>(t, b, '/api/stock-movements', { limit: 100 })).flat();

    const idsOf = async (table: string, tenantId: string) =>
      new Set(
        (await t.db.query(`SELECT id::text FROM ${table} WHERE tenant_id = $1`, [tenantId])).map(
          (r: { id: string }) => r.id,
        ),
      );
    const [aEvents, aMovements] = [await idsOf('event', a.tenant.id), await idsOf('stock_movement', a.tenant.id)];
    // A had plenty to leak: every kind of change, several warehouses.
    expect(aEvents.size).toBeGreaterThan(20);
    expect(aMovements.size).toBeGreaterThan(10);
    const aObjects = new Set([...a.items, ...a.warehouses, ...a.reservations, ...a.orders, a.tenant.id]);
    const foreignEvent = (e: EventData) =>
      e.tenant_id !== b.id || aEvents.has(e.id) || aObjects.has(e.object_id) || aObjects.has(String(e.payload.item_id));
    expect(events.filter(foreignEvent)).toEqual([]);
    const foreignMovement = (mv: MovementData) =>
      aMovements.has(String(mv.id)) || aObjects.has(mv.item_id) || aObjects.has(mv.warehouse_id);
    expect(movements.filter(foreignMovement)).toEqual([]);
    // And B's lists are complete: every one of its own rows, so the check above saw something.
    expect(events.map((e) => e.id).sort()).toEqual([...(await idsOf('event', b.id))].sort());
    expect(movements.map((mv) => String(mv.id)).sort()).toEqual([...(await idsOf('stock_movement', b.id))].sort());
    expect(movements.length).toBeGreaterThan(0);
  });

  it('and A still sees all of its own data, unchanged', async () => {
    for (const id of a.items) await t.http.get(`/api/items/${id}`).set(a.tenant.auth).expect(200);
    for (const id of a.orders) await t.http.get(`/api/orders/${id}`).set(a.tenant.auth).expect(200);
    for (const id of a.reservations) await t.http.get(`/api/reservations/${id}`).set(a.tenant.auth).expect(200);
  });
});
