import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { announceSeed, expectContract, fingerprint, fuzzParams, Tally } from './support/fuzz-kit.js';

// Tenant isolation, fuzzed: tenant B's key on every endpoint, naming tenant A's
// ids (items, warehouses, reservations, orders, in any state, any letter case) in
// paths, bodies and filters. Each answer is 404 (204 for the idempotent DELETE),
// or an empty list; nothing of A (or B) changes; nothing of A shows up in the answer.

interface A {
  tenant: TestTenant;
  items: string[];
  skus: string[];
  warehouses: string[];
  reservations: string[];
  orders: string[];
  references: string[];
  secrets: string[];
}

describe("fuzz: tenant B on tenant A's ids", () => {
  let t: TestApp;
  let a: A;
  let b: TestTenant;
  let bItem: string;
  let aCursor: string;
  const tally = new Tally();

  beforeAll(async () => {
    announceSeed();
    t = await startTestApp({ ENABLE_CRON: 'false' });
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
    const page = await t.http.get('/api/items').set(tenant.auth).query({ limit: 1 }).expect(200);
    aCursor = page.body.page.next_cursor;
    a = {
      tenant,
      items,
      skus,
      warehouses: [tenant.defaultWarehouseId, wh.body.data.id],
      reservations,
      orders,
      references,
      secrets: ['a-secret', tenant.id],
    };
  });

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

    type Call = {
      label: string;
      method: 'get' | 'post' | 'patch' | 'delete';
      path: string;
      body?: object;
      expect: number;
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
      fc.constant({
        label: "A's cursor",
        method: 'get' as const,
        path: `/api/items?cursor=${encodeURIComponent(aCursor)}`,
        expect: 200,
      }),
      fc
        .constantFrom('/api/items', '/api/warehouses', '/api/reservations', '/api/orders', '/api/audit-logs')
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
        expect({ context, state: await fingerprint(t, [a.tenant.id, b.id]) }).toEqual({ context, state: before });

        // Nothing of A in the answer, except the ids the caller itself sent (a 404 may name them).
        const sent = `${call.path} ${JSON.stringify(call.body ?? {})}`.toLowerCase();
        const text = JSON.stringify(res.body ?? {}).toLowerCase();
        const aIds = [...a.items, ...a.warehouses, ...a.reservations, ...a.orders].filter((id) => !sent.includes(id));
        const leaked = [...aIds, ...a.secrets.map((s) => s.toLowerCase())].filter((s) => text.includes(s));
        expect({ context, leaked }).toEqual({ context, leaked: [] });
        if (res.status === 200 && Array.isArray(res.body.data)) {
          for (const row of res.body.data as { id: string }[]) {
            const [{ n }] = await t.db.query(
              `SELECT count(*)::int AS n FROM (SELECT id, tenant_id FROM item UNION ALL SELECT id, tenant_id FROM warehouse
                 UNION ALL SELECT id, tenant_id FROM reservation UNION ALL SELECT id, tenant_id FROM orders
                 UNION ALL SELECT id, tenant_id FROM audit_log) x WHERE x.id = $1 AND x.tenant_id <> $2`,
              [row.id, b.id],
            );
            expect({ context, foreign: n }).toEqual({ context, foreign: 0 });
          }
        }
      }),
      fuzzParams(150),
    );
  });

  it('and A still sees all of its own data, unchanged', async () => {
    for (const id of a.items) await t.http.get(`/api/items/${id}`).set(a.tenant.auth).expect(200);
    for (const id of a.orders) await t.http.get(`/api/orders/${id}`).set(a.tenant.auth).expect(200);
    for (const id of a.reservations) await t.http.get(`/api/reservations/${id}`).set(a.tenant.auth).expect(200);
  });
});
