import { expect } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Response, Test } from 'supertest';
import { ReservationExpiryService } from '../../src/reservations/reservation-expiry.service.js';
import { snapshot, tenantsOfThisFile, type TestTenant } from './fixtures.js';
import type { TestApp } from './test-app.js';

// Helpers for the reservation and warehouse e2e tests. Self-contained on purpose:
// it only uses the long-standing exports of fixtures.ts.

export interface HoldLine {
  item_id: string;
  warehouse_id: string;
  quantity: number;
}

export interface ReservationData {
  id: string;
  status: 'active' | 'released' | 'expired' | 'committed';
  reference: string | null;
  expires_at: string;
  created_at: string;
  updated_at: string;
  lines: HoldLine[];
}

export interface WarehouseData {
  id: string;
  code: string;
  name: string;
  priority: number;
  is_default: boolean;
  created_at: string;
}

// ---------------------------------------------------------------------------
// HTTP

export function reserve(t: TestApp, tenant: TestTenant, body: unknown): Test {
  return t.http.post('/api/reservations').set(tenant.auth).send(body as object);
}

export async function reserveOk(t: TestApp, tenant: TestTenant, body: unknown): Promise<ReservationData> {
  const res = await reserve(t, tenant, body);
  if (res.status !== 201) throw new Error(`reserve: expected 201, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export function release(t: TestApp, tenant: TestTenant, id: string): Test {
  return t.http.post(`/api/reservations/${id}/release`).set(tenant.auth);
}

export function extend(t: TestApp, tenant: TestTenant, id: string, body: unknown): Test {
  return t.http.post(`/api/reservations/${id}/extend`).set(tenant.auth).send(body as object);
}

export function getReservation(t: TestApp, tenant: TestTenant, id: string): Test {
  return t.http.get(`/api/reservations/${id}`).set(tenant.auth);
}

export async function newWarehouse(
  t: TestApp,
  tenant: TestTenant,
  body: Record<string, unknown> = {},
): Promise<WarehouseData> {
  const res = await t.http
    .post('/api/warehouses')
    .set(tenant.auth)
    .send({ code: `W-${randomUUID().slice(0, 8)}`, name: 'Warehouse', ...body });
  if (res.status !== 201) throw new Error(`newWarehouse: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** PATCH /api/items/:id/qty that must succeed: `delta` more units in a warehouse (the default one when omitted). */
export async function addStock(t: TestApp, tenant: TestTenant, itemId: string, delta: number, warehouseId?: string) {
  const res = await t.http
    .patch(`/api/items/${itemId}/qty`)
    .set(tenant.auth)
    .send({ delta, ...(warehouseId ? { warehouse_id: warehouseId } : {}) });
  if (res.status !== 200) throw new Error(`addStock: expected 200, got ${res.status} ${JSON.stringify(res.body)}`);
}

// ---------------------------------------------------------------------------
// State

/** Everything a tenant owns, including its reservations and their lines. */
export async function state(t: TestApp, tenantId: string) {
  const q = (text: string) => t.db.query(text, [tenantId]);
  return {
    ...((await snapshot(t, tenantId)) as object),
    reservations: await q('SELECT * FROM reservation WHERE tenant_id = $1 ORDER BY id'),
    lines: await q('SELECT * FROM reservation_line WHERE tenant_id = $1 ORDER BY reservation_id, item_id, warehouse_id'),
  };
}

export async function states(t: TestApp, tenants: TestTenant[]) {
  const all: unknown[] = [];
  for (const tenant of tenants) all.push(await state(t, tenant.id));
  return all;
}

/** The API's error envelope: JSON, the code, a message, the request id; never a 5xx here. */
export function expectErrorBody(res: Response, status: number, code: string): void {
  expect({ status: res.status, error: res.body?.error }).toEqual({ status, error: code });
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  expect(res.body.request_id).toEqual(res.headers['x-request-id']);
  expect(typeof res.body.message).toBe('string');
  expect(res.body).not.toHaveProperty('data');
}

/** Sends a request that must fail with status/code and change nothing of `tenants` (reservations included). */
export async function expectUnchanged(
  t: TestApp,
  tenants: TestTenant | TestTenant[],
  send: () => PromiseLike<Response>,
  status: number,
  code: string,
): Promise<Response> {
  const list = Array.isArray(tenants) ? tenants : [tenants];
  const before = await states(t, list);
  const res = await send();
  expectErrorBody(res, status, code);
  expect(await states(t, list)).toEqual(before);
  return res;
}

/** on_hand / reserved of one stock row (undefined when the row does not exist). */
export async function stockRow(t: TestApp, itemId: string, warehouseId: string) {
  const [row] = await t.db.query('SELECT on_hand, reserved FROM stock WHERE item_id = $1 AND warehouse_id = $2', [
    itemId,
    warehouseId,
  ]);
  return row as { on_hand: number; reserved: number } | undefined;
}

/** reserved per warehouse of one item, e.g. `{ [w1]: 2, [w2]: 0 }`. */
export async function reservedByWarehouse(t: TestApp, itemId: string): Promise<Record<string, number>> {
  const rows = await t.db.query('SELECT warehouse_id, reserved FROM stock WHERE item_id = $1', [itemId]);
  return Object.fromEntries(rows.map((r: { warehouse_id: string; reserved: number }) => [r.warehouse_id, r.reserved]));
}

/**
 * The invariant of reservations, over every stock row of the tenant: reserved is
 * exactly the sum of the lines of reservations whose (raw) status is active, and
 * 0 <= reserved <= on_hand.
 */
export async function assertInvariant(t: TestApp, tenantId: string): Promise<void> {
  const rows: { item_id: string; warehouse_id: string; on_hand: number; reserved: number; held: number }[] =
    await t.db.query(
      `SELECT s.item_id, s.warehouse_id, s.on_hand, s.reserved,
              COALESCE((SELECT sum(l.quantity) FROM reservation_line l JOIN reservation r ON r.id = l.reservation_id
                        WHERE l.item_id = s.item_id AND l.warehouse_id = s.warehouse_id AND r.status = 'active'), 0)::int AS held
       FROM stock s WHERE s.tenant_id = $1`,
      [tenantId],
    );
  expect(rows.length).toBeGreaterThan(0);
  const broken = rows.filter((r) => r.reserved !== r.held || r.reserved < 0 || r.on_hand < r.reserved);
  expect(broken).toEqual([]);
}

/** The raw status column (not the effective status the API shows). */
export async function rawStatus(t: TestApp, id: string): Promise<string> {
  const [row] = await t.db.query('SELECT status FROM reservation WHERE id = $1', [id]);
  return row?.status;
}

/** Moves reservations' expiry into the past without waiting (expires_at > created_at still holds). */
export async function lapse(t: TestApp, ids: string | string[]): Promise<void> {
  const list = Array.isArray(ids) ? ids : [ids];
  await t.db.query(
    `UPDATE reservation SET expires_at = now() - interval '1 second', created_at = now() - interval '1 minute'
     WHERE id = ANY($1::uuid[])`,
    [list],
  );
}

/** What an order would do on commit: status committed, units leave on_hand and reserved together. */
export async function commitBySql(t: TestApp, id: string): Promise<void> {
  await t.db.transaction(async (m) => {
    await m.query(
      `UPDATE stock s SET on_hand = s.on_hand - l.quantity, reserved = s.reserved - l.quantity
       FROM reservation_line l
       WHERE l.reservation_id = $1 AND s.item_id = l.item_id AND s.warehouse_id = l.warehouse_id`,
      [id],
    );
    await m.query(`UPDATE reservation SET status = 'committed', updated_at = now() WHERE id = $1`, [id]);
  });
}

export function sweep(t: TestApp, batchSize?: number): Promise<number> {
  return t.app.get(ReservationExpiryService).sweep(batchSize, { tenantIds: [...tenantsOfThisFile] });
}

export async function auditOf(t: TestApp, tenantId: string, action: string, objectId?: string) {
  return t.db.query(
    `SELECT actor, action, object_type, object_id, old_value, new_value, request_id FROM audit_log
     WHERE tenant_id = $1 AND action = $2 ${objectId ? 'AND object_id = $3' : ''} ORDER BY created_at, id`,
    objectId ? [tenantId, action, objectId] : [tenantId, action],
  );
}

// ---------------------------------------------------------------------------
// Small utilities

/** Lines in a stable order, for comparing. */
export function sortLines<T extends { item_id: string; warehouse_id?: string }>(lines: T[]): T[] {
  return [...lines].sort((a, b) =>
    a.item_id === b.item_id ? ((a.warehouse_id ?? '') < (b.warehouse_id ?? '') ? -1 : 1) : a.item_id < b.item_id ? -1 : 1,
  );
}

export { prng, tally } from './fixtures.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
