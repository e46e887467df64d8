import { expect } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { ReservationExpiryService } from '../../src/reservations/reservation-expiry.service.js';
import { expectError, snapshot, tenantsOfThisFile, type TestTenant } from './fixtures.js';
import type { TestApp } from './test-app.js';

// Helpers for the orders e2e tests (test/orders). Only the long-standing exports
// of fixtures.ts are used, so that other test folders can evolve independently.

export type OrderStatus = 'pending' | 'confirmed' | 'processing' | 'shipped' | 'delivered' | 'cancelled';
export const STATUSES: OrderStatus[] = ['pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled'];

/** The contract's state machine, written out independently of src/. */
export const ALLOWED: Record<OrderStatus, OrderStatus[]> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['processing', 'cancelled'],
  processing: ['shipped'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

/** A valid path from a new (pending) order to each status. */
export const PATH_TO: Record<OrderStatus, OrderStatus[]> = {
  pending: [],
  confirmed: ['confirmed'],
  processing: ['confirmed', 'processing'],
  shipped: ['confirmed', 'processing', 'shipped'],
  delivered: ['confirmed', 'processing', 'shipped', 'delivered'],
  cancelled: ['cancelled'],
};

export interface OrderLine {
  item_id: string;
  warehouse_id: string;
  quantity: number;
  unit_price: number;
  line_total: number;
}

export interface OrderData {
  id: string;
  status: OrderStatus;
  currency: string;
  total_amount: number;
  customer_ref: string | null;
  reservation_id: string;
  lines: OrderLine[];
  created_at: string;
  updated_at: string;
  history?: { from: OrderStatus | null; to: OrderStatus; at: string; actor: string; reason: string | null }[];
}

// ---------------------------------------------------------------------------
// HTTP

export function createOrder(t: TestApp, tenant: TestTenant, body: unknown): Test {
  return t.http.post('/api/orders').set(tenant.auth).send(body as object);
}

export async function createOrderOk(t: TestApp, tenant: TestTenant, body: unknown): Promise<OrderData> {
  const res = await createOrder(t, tenant, body);
  if (res.status !== 201) throw new Error(`create order: expected 201, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** A pending order of `quantity` units of one item at `unitPrice`. */
export function orderOf(t: TestApp, tenant: TestTenant, itemId: string, quantity = 1, unitPrice = 100, extra: object = {}) {
  return createOrderOk(t, tenant, { currency: 'EUR', lines: [{ item_id: itemId, quantity, unit_price: unitPrice }], ...extra });
}

export function transition(t: TestApp, tenant: TestTenant, id: string, to: string): Test {
  return t.http.post(`/api/orders/${id}/transitions`).set(tenant.auth).send({ to });
}

export async function transitionOk(t: TestApp, tenant: TestTenant, id: string, to: string): Promise<OrderData> {
  const res = await transition(t, tenant, id, to);
  if (res.status !== 200) throw new Error(`transition to ${to}: expected 200, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** Moves a new order to `status` along PATH_TO. */
export async function driveTo(t: TestApp, tenant: TestTenant, id: string, status: OrderStatus): Promise<void> {
  for (const to of PATH_TO[status]) await transitionOk(t, tenant, id, to);
}

export async function getOrder(t: TestApp, tenant: TestTenant, id: string): Promise<OrderData> {
  const res = await t.http.get(`/api/orders/${id}`).set(tenant.auth);
  if (res.status !== 200) throw new Error(`get order: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export async function reservationOk(t: TestApp, tenant: TestTenant, lines: object[], extra: object = {}) {
  const res = await t.http.post('/api/reservations').set(tenant.auth).send({ lines, ...extra });
  if (res.status !== 201) throw new Error(`reserve: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as { id: string; status: string; lines: { item_id: string; warehouse_id: string; quantity: number }[] };
}

export async function newWarehouse(t: TestApp, tenant: TestTenant, priority = 0): Promise<string> {
  const res = await t.http
    .post('/api/warehouses')
    .set(tenant.auth)
    .send({ code: `W-${randomUUID().slice(0, 8)}`, name: 'Second', priority });
  if (res.status !== 201) throw new Error(`newWarehouse: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.id;
}

/** Test setup only: puts `onHand` units of an item into a warehouse (creating the stock row). */
export async function putStock(t: TestApp, tenant: TestTenant, itemId: string, warehouseId: string, onHand: number) {
  await t.db.query(
    `INSERT INTO stock AS s (tenant_id, item_id, warehouse_id, on_hand) VALUES ($1, $2, $3, $4)
     ON CONFLICT (item_id, warehouse_id) DO UPDATE SET on_hand = s.on_hand + EXCLUDED.on_hand`,
    [tenant.id, itemId, warehouseId, onHand],
  );
}

// ---------------------------------------------------------------------------
// Database

/** `{ [warehouse_id]: { on_hand, reserved } }` of one item. */
export async function stockOf(t: TestApp, itemId: string): Promise<Record<string, { on_hand: number; reserved: number }>> {
  const rows = await t.db.query('SELECT warehouse_id, on_hand, reserved FROM stock WHERE item_id = $1', [itemId]);
  return Object.fromEntries(
    rows.map((r: { warehouse_id: string; on_hand: number; reserved: number }) => [r.warehouse_id, { on_hand: r.on_hand, reserved: r.reserved }]),
  );
}

/** Raw status column of a reservation. */
export async function reservationStatus(t: TestApp, id: string): Promise<string> {
  const [row] = await t.db.query('SELECT status FROM reservation WHERE id = $1', [id]);
  return row?.status;
}

/** Makes a reservation lapse without waiting (the CHECK wants expires_at > created_at). */
export async function lapse(t: TestApp, reservationId: string): Promise<void> {
  await t.db.query(
    `UPDATE reservation SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 second' WHERE id = $1`,
    [reservationId],
  );
}

/**
 * Sends `send()` while the reservation is lapsed but not yet swept, whatever the
 * sweepers of other test workers (they share the database) are doing: the lapse
 * is made in a transaction that keeps the row locked (sweepers SKIP LOCKED rows)
 * until the request is queued behind that lock.
 */
export async function sendWhileLapsed(t: TestApp, reservationId: string, send: () => PromiseLike<Response>): Promise<Response> {
  const runner = t.db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const [{ pid }] = await runner.query('SELECT pg_backend_pid() AS pid');
    await runner.query(
      `UPDATE reservation SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 second' WHERE id = $1`,
      [reservationId],
    );
    const response = Promise.resolve(send());
    for (let i = 0; ; i++) {
      const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))', [pid]);
      if (n > 0) break;
      if (i > 300) throw new Error('the request never waited for the reservation lock');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await runner.commitTransaction();
    return await response;
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}

export function sweep(t: TestApp): Promise<number> {
  return t.app.get(ReservationExpiryService).sweep(undefined, { tenantIds: [...tenantsOfThisFile] });
}

export async function auditOf(t: TestApp, tenantId: string, action: string, objectId?: string) {
  return t.db.query(
    `SELECT actor, action, object_type, object_id, old_value, new_value FROM audit_log
     WHERE tenant_id = $1 AND action = $2 ${objectId ? 'AND object_id = $3' : ''} ORDER BY created_at, id`,
    objectId ? [tenantId, action, objectId] : [tenantId, action],
  );
}

/** Everything a tenant owns, orders and reservations included. */
export async function orderState(t: TestApp, tenantId: string) {
  const q = (text: string) => t.db.query(text, [tenantId]);
  return {
    base: await snapshot(t, tenantId),
    reservations: await q('SELECT * FROM reservation WHERE tenant_id = $1 ORDER BY id'),
    reservationLines: await q('SELECT * FROM reservation_line WHERE tenant_id = $1 ORDER BY reservation_id, item_id, warehouse_id'),
    orders: await q('SELECT * FROM orders WHERE tenant_id = $1 ORDER BY id'),
    orderLines: await q('SELECT * FROM order_line WHERE tenant_id = $1 ORDER BY order_id, item_id, warehouse_id'),
    history: await q('SELECT * FROM order_status_history WHERE tenant_id = $1 ORDER BY id'),
  };
}

/**
 * Sends a request that must fail with status/code (error envelope checked) and
 * change nothing of `tenants`: stock, audit, reservations, orders, history.
 */
export async function expectUnchanged(
  t: TestApp,
  tenants: TestTenant | TestTenant[],
  send: () => PromiseLike<Response>,
  status: number,
  code: string,
): Promise<Response> {
  const list = Array.isArray(tenants) ? tenants : [tenants];
  const before = [];
  for (const tenant of list) before.push(await orderState(t, tenant.id));
  const res = await send();
  expectError(res, status, code);
  const after = [];
  for (const tenant of list) after.push(await orderState(t, tenant.id));
  expect(after).toEqual(before);
  return res;
}

export { prng, tally } from './fixtures.js';

/**
 * GET /api/orders?<query> page by page (following next_cursor from `startCursor`), checking the
 * page envelope on the way; returns every page's orders.
 */
export async function listPages(
  t: TestApp,
  tenant: TestTenant,
  query: string,
  limit: number,
  startCursor: string | null = null,
): Promise<OrderData[][]> {
  const pages: OrderData[][] = [];
  let cursor: string | null = startCursor;
  do {
    const qs: string = [query, `limit=${limit}`, cursor ? `cursor=${encodeURIComponent(cursor)}` : ''].filter(Boolean).join('&');
    const res: Response = await t.http.get(`/api/orders?${qs}`).set(tenant.auth);
    if (res.status !== 200) throw new Error(`GET /api/orders?${qs}: ${res.status} ${JSON.stringify(res.body)}`);
    expect(res.body.page.limit).toBe(limit);
    cursor = res.body.page.next_cursor;
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    if (cursor) expect(res.body.data).toHaveLength(limit);
    pages.push(res.body.data);
    if (pages.length > 100) throw new Error('more than 100 pages: the cursor does not advance');
  } while (cursor);
  return pages;
}
