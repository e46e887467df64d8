import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { Test } from 'supertest';
import { adjustQty, type TestTenant } from './fixtures.js';
import { insertStockRow, lockStockRows, moveLockedRow } from '../../src/inventory/stock.repository.js';
import type { TestApp } from './test-app.js';

// Warehouses and the stock rows in them: make them, fill them, read them, and
// lock them from another session.

export interface WarehouseData {
  id: string;
  code: string;
  name: string;
  priority: number;
  is_default: boolean;
  active: boolean;
  created_at: string;
}

/** POST /api/warehouses that must succeed: a unique code unless `body` gives one, priority 0 unless it says. */
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

/** PATCH /api/warehouses/:id (name, priority, active), whatever it answers. */
export function updateWarehouse(t: TestApp, tenant: TestTenant, warehouseId: string, body: unknown): Test {
  return t.http
    .patch(`/api/warehouses/${warehouseId}`)
    .set(tenant.auth)
    .send(body as object);
}

/** PATCH /api/items/:id/qty that must succeed: `delta` more units in a warehouse (the default one when omitted). */
export async function addStock(t: TestApp, tenant: TestTenant, itemId: string, delta: number, warehouseId?: string) {
  const res = await adjustQty(t, tenant, itemId, { delta, ...(warehouseId ? { warehouse_id: warehouseId } : {}) });
  if (res.status !== 200) throw new Error(`addStock: expected 200, got ${res.status} ${JSON.stringify(res.body)}`);
}

/**
 * Puts `onHand` more units of an item into a warehouse with the stock repository,
 * creating the row: setup that bypasses the API (no audit row, no adjustment
 * rules) but not the ledger (a `received` movement, as the database insists);
 * addStock is the same through the API.
 */
export async function putStockBySql(
  t: TestApp,
  tenant: TestTenant,
  itemId: string,
  warehouseId: string,
  onHand: number,
) {
  const movement = {
    ...TEST_NOTE,
    type: 'received' as const,
    item_id: itemId,
    warehouse_id: warehouseId,
    on_hand: onHand,
    reserved: 0,
  };
  await t.db.transaction(async (m) => {
    if (await insertStockRow(m, tenant.id, movement)) return;
    await lockStockRows(m, [movement]);
    await moveLockedRow(m, movement);
  });
}

/** Who the movements of test setup say they were made by. */
export const TEST_NOTE = { actor: 'test', request_id: 'test-setup', reason: 'test setup' };

type StockLevels = { on_hand: number; reserved: number };

/** `{ [warehouse_id]: { on_hand, reserved } }` of one item, from the stock rows. */
export async function stockOf(t: TestApp, itemId: string): Promise<Record<string, StockLevels>> {
  const rows: ({ warehouse_id: string } & StockLevels)[] = await t.db.query(
    'SELECT warehouse_id, on_hand, reserved FROM stock WHERE item_id = $1',
    [itemId],
  );
  return Object.fromEntries(rows.map((r) => [r.warehouse_id, { on_hand: r.on_hand, reserved: r.reserved }]));
}

/** `{ on_hand, reserved }` of one stock row (undefined when the row does not exist). */
export async function stockRow(t: TestApp, itemId: string, warehouseId: string): Promise<StockLevels | undefined> {
  return (await stockOf(t, itemId))[warehouseId];
}

/** `reserved` per warehouse of one item, e.g. `{ [w1]: 2, [w2]: 0 }`. */
export async function reservedByWarehouse(t: TestApp, itemId: string): Promise<Record<string, number>> {
  const levels = await stockOf(t, itemId);
  return Object.fromEntries(Object.entries(levels).map(([warehouseId, l]) => [warehouseId, l.reserved]));
}

const lockSessions = new Set<pg.Client>();

/**
 * Another PostgreSQL session (as an operator's psql or a long transaction would be,
 * not a request of the app nor a connection of its pool) locks the stock rows of
 * `itemId` FOR UPDATE, until the returned function rolls it back.
 */
export async function lockStock(itemId: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  lockSessions.add(client);
  await client.query('BEGIN');
  await client.query('SELECT 1 FROM stock WHERE item_id = $1 FOR UPDATE', [itemId]);
  return () => endLockSession(client);
}

/** Ends the lockStock sessions still open: for afterEach / afterAll, when a test failed before it unlocked. */
export async function releaseStockLocks(): Promise<void> {
  await Promise.all([...lockSessions].map(endLockSession));
}

async function endLockSession(client: pg.Client): Promise<void> {
  if (!lockSessions.delete(client)) return;
  try {
    await client.query('ROLLBACK');
  } finally {
    await client.end();
  }
}
