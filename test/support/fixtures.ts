import { expect, jest } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Response, Test } from 'supertest';
import { ADMIN_TOKEN, type TestApp } from './test-app.js';

// Tenants and items, the checks every refused request gets (the error envelope,
// S' = S over everything the tenant owns), and the audit rows tests look at.
// Warehouses and stock: stock.ts; reservations: reservations.ts; orders: orders.ts.

export interface TestTenant {
  id: string;
  key: string;
  keyId: string;
  auth: { Authorization: string };
  defaultWarehouseId: string;
}

export const adminAuth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/**
 * The tenants this test file made (Jest gives every file its own module registry).
 * Test sweeps are scoped to them, so one file's sweep never expires a hold another
 * file is looking at.
 */
export const tenantsOfThisFile = new Set<string>();

/** A fresh tenant: tests isolate themselves by tenant, so they never see each other's rows. */
export async function newTenant(t: TestApp, name = `tenant-${randomUUID()}`): Promise<TestTenant> {
  const res = await t.http.post('/api/admin/tenants').set(adminAuth).send({ name }).expect(201);
  const { tenant, api_key } = res.body.data;
  tenantsOfThisFile.add(tenant.id);
  const [warehouse] = await t.db.query('SELECT id FROM warehouse WHERE tenant_id = $1 AND is_default', [tenant.id]);
  return {
    id: tenant.id,
    key: api_key.key,
    keyId: api_key.id,
    auth: { Authorization: `Bearer ${api_key.key}` },
    defaultWarehouseId: warehouse.id,
  };
}

export interface ItemData {
  id: string;
  name: string;
  sku: string | null;
  qty: number;
  reserved: number;
  available: number;
  reorder_point: number | null;
  low_stock: boolean;
  stock: { warehouse_id: string; on_hand: number; reserved: number; available: number }[];
  updated_at: string;
}

/** POST /api/items that must succeed (a unique name unless `body` gives one; `qty` lands in the default warehouse). */
export async function newItem(t: TestApp, tenant: TestTenant, body: Record<string, unknown> = {}): Promise<ItemData> {
  const res = await t.http
    .post('/api/items')
    .set(tenant.auth)
    .send({ name: `item-${randomUUID()}`, ...body })
    .expect(201);
  return res.body.data;
}

/** PATCH /api/items/:id/qty, whatever it answers. */
export function adjustQty(t: TestApp, tenant: TestTenant, itemId: string, body: unknown): Test {
  return t.http
    .patch(`/api/items/${itemId}/qty`)
    .set(tenant.auth)
    .send(body as object);
}

/** PATCH /api/items/:id (name, sku, description, reorder_point), whatever it answers. */
export function updateItem(t: TestApp, tenant: TestTenant, itemId: string, body: unknown): Test {
  return t.http
    .patch(`/api/items/${itemId}`)
    .set(tenant.auth)
    .send(body as object);
}

/** GET /api/items/sku/:sku, whatever it answers. */
export function getItemBySku(t: TestApp, tenant: TestTenant, sku: string): Test {
  return t.http.get(`/api/items/sku/${encodeURIComponent(sku)}`).set(tenant.auth);
}

/** GET /api/items/:id that must answer 200; returns the item. */
export async function readItem(t: TestApp, tenant: TestTenant, itemId: string): Promise<ItemData> {
  const res = await t.http.get(`/api/items/${itemId}`).set(tenant.auth);
  if (res.status !== 200) throw new Error(`readItem: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** Sends a raw JSON text (malformed JSON, `__proto__` keys, ...) exactly as given. */
export function sendRaw(test: Test, text: string): Test {
  return test.set('Content-Type', 'application/json').send(text);
}

/** Follows `next_cursor` of GET `path` from the first page to the last; returns every page's data. */
export async function allPages<T = Record<string, unknown>>(
  t: TestApp,
  tenant: TestTenant,
  path: string,
  query: Record<string, string | number> = {},
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const res: Response = await t.http
      .get(path)
      .set(tenant.auth)
      .query({ ...query, ...(cursor ? { cursor } : {}) })
      .expect(200);
    pages.push(res.body.data);
    cursor = res.body.page.next_cursor;
    if (pages.length > 100) throw new Error(`${path}: more than 100 pages, the cursor does not advance`);
  } while (cursor);
  return pages;
}

// ---------------------------------------------------------------------------
// Refused requests: the error envelope, and S' = S on every tenant they could touch

/** The error envelope of the API contract: JSON (never HTML), the code, a message, the request id. */
export function expectError(res: Response, status: number, code: string): void {
  expect({ status: res.status, error: res.body?.error }).toEqual({ status, error: code });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body.request_id).toEqual(res.headers['x-request-id']);
  expect(typeof res.body.message).toBe('string');
  expect(res.body).not.toHaveProperty('data');
}

/**
 * Everything a tenant owns, in a stable order: items, stock, warehouses, API keys,
 * audit rows, reservations and their lines, orders, their lines and history,
 * stock movements and events.
 * Compare before and after a request to prove it changed nothing (S' = S).
 */
export async function snapshot(t: TestApp, tenantId: string): Promise<Record<string, unknown[]>> {
  const q = (sql: string): Promise<unknown[]> => t.db.query(sql, [tenantId]);
  return {
    items: await q('SELECT * FROM item WHERE tenant_id = $1 ORDER BY id'),
    stock: await q('SELECT * FROM stock WHERE tenant_id = $1 ORDER BY item_id, warehouse_id'),
    warehouses: await q('SELECT * FROM warehouse WHERE tenant_id = $1 ORDER BY id'),
    // Not last_used_at: bookkeeping each instance writes on a timer, not state a request changes.
    apiKeys: await q(
      'SELECT id, label, scopes, expires_at, revoked_at, rotated_from FROM api_key WHERE tenant_id = $1 ORDER BY id',
    ),
    audit: await q('SELECT id FROM audit_log WHERE tenant_id = $1 ORDER BY id'),
    reservations: await q('SELECT * FROM reservation WHERE tenant_id = $1 ORDER BY id'),
    reservationLines: await q(
      'SELECT * FROM reservation_line WHERE tenant_id = $1 ORDER BY reservation_id, item_id, warehouse_id',
    ),
    orders: await q('SELECT * FROM orders WHERE tenant_id = $1 ORDER BY id'),
    orderLines: await q('SELECT * FROM order_line WHERE tenant_id = $1 ORDER BY order_id, item_id, warehouse_id'),
    orderHistory: await q('SELECT * FROM order_status_history WHERE tenant_id = $1 ORDER BY id'),
    movements: await q('SELECT id FROM stock_movement WHERE tenant_id = $1 ORDER BY id'),
    events: await q('SELECT id FROM event WHERE tenant_id = $1 ORDER BY id'),
  };
}

/** The snapshots of several tenants, in the order given. */
export async function snapshots(t: TestApp, tenants: TestTenant[]): Promise<unknown[]> {
  const result: unknown[] = [];
  for (const tenant of tenants) result.push(await snapshot(t, tenant.id));
  return result;
}

/**
 * Sends a request that must be refused with `status` / `code` (the error envelope
 * checked by expectError) and asserts that it changed nothing `tenants` own
 * (their snapshots before and after are equal). Returns the response.
 */
export async function expectUnchanged(
  t: TestApp,
  tenants: TestTenant | TestTenant[],
  send: () => PromiseLike<Response>,
  status: number,
  code: string,
): Promise<Response> {
  const list = Array.isArray(tenants) ? tenants : [tenants];
  const before = await snapshots(t, list);
  const res = await send();
  expectError(res, status, code);
  expect(await snapshots(t, list)).toEqual(before);
  return res;
}

/** Counts responses by `status error` (e.g. `{ '200': 5, '400 insufficient_stock': 45 }`). */
export function tally(responses: Response[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of responses) {
    const key = r.status < 300 ? String(r.status) : `${r.status} ${r.body?.error}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/**
 * The queries a transaction of the service adds to its own behind a transaction-pooling
 * PgBouncer (DB_POOL_MODE=transaction, CI's third pass): the SET LOCAL of its timeouts.
 */
export const PREAMBLE_QUERIES = process.env.DB_POOL_MODE === 'transaction' ? 1 : 0;

/** How many queries the service sends to PostgreSQL (BEGIN and COMMIT included) while `send` runs. */
export async function countQueries(send: () => Promise<unknown>): Promise<number> {
  const spy = jest.spyOn(pg.Client.prototype, 'query');
  try {
    await send();
    return spy.mock.calls.length;
  } finally {
    spy.mockRestore();
  }
}

// ---------------------------------------------------------------------------
// Audit

/** Whole audit rows of a tenant (every column), optionally of one action, oldest first: to compare rows as stored. */
export function auditRows(t: TestApp, tenantId: string, action?: string) {
  return t.db.query(
    `SELECT * FROM audit_log WHERE tenant_id = $1 ${action ? 'AND action = $2' : ''} ORDER BY created_at, id`,
    action ? [tenantId, action] : [tenantId],
  );
}

/**
 * What the audit says of one action (optionally on one object), oldest first: actor,
 * action, object type and id, old and new value, request id; no ids or timestamps,
 * so that rows can be compared with toEqual.
 */
export function auditOf(t: TestApp, tenantId: string, action: string, objectId?: string) {
  return t.db.query(
    `SELECT actor, action, object_type, object_id, old_value, new_value, request_id FROM audit_log
     WHERE tenant_id = $1 AND action = $2 ${objectId ? 'AND object_id = $3' : ''} ORDER BY created_at, id`,
    objectId ? [tenantId, action, objectId] : [tenantId, action],
  );
}

export interface AuditEntry {
  id: string;
  action: string;
  object_type: string;
  object_id: string;
  request_id: string;
  actor: string;
  old_value: any;
  new_value: any;
  created_at: string;
}

/** GET /api/audit-logs with filters (up to 100 rows), as the tenant. */
export async function listAudit(
  t: TestApp,
  tenant: TestTenant,
  query: Record<string, string | number> = {},
): Promise<AuditEntry[]> {
  const res = await t.http
    .get('/api/audit-logs')
    .set(tenant.auth)
    .query({ limit: 100, ...query })
    .expect(200);
  return res.body.data;
}
