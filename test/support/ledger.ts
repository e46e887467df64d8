import type { Test } from 'supertest';
import { checkLedger } from '../../src/ledger/ledger-check.js';
import type { MovementView } from '../../src/ledger/movement-list-query.js';
import { adminAuth, type TestTenant } from './fixtures.js';
import type { TestApp } from './test-app.js';

// The stock ledger: its rows as stored, its HTTP lists, the admin check, and
// changing stock behind the ledger's back (to prove the check finds it).

/** A movement as the API shows it. */
export type MovementData = MovementView;

/** What the ledger holds for an item (one warehouse, or all), by warehouse and number; no ids or timestamps. */
export function ledgerOf(t: TestApp, itemId: string, warehouseId?: string) {
  return t.db.query(
    `SELECT warehouse_id, seq, type, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reason, reference,
            actor, request_id
     FROM stock_movement WHERE item_id = $1 ${warehouseId ? 'AND warehouse_id = $2' : ''}
     ORDER BY warehouse_id, seq`,
    warehouseId ? [itemId, warehouseId] : [itemId],
  );
}

/** The ids of a tenant's movements as the list orders them (newest first), from the table itself. */
export async function movementIdsNewestFirst(t: TestApp, tenantId: string, where = 'true'): Promise<string[]> {
  const rows: { id: string }[] = await t.db.query(
    `SELECT id::text FROM stock_movement WHERE tenant_id = $1 AND ${where} ORDER BY created_at DESC, id DESC`,
    [tenantId],
  );
  return rows.map((r) => r.id);
}

/** GET /api/stock-movements, whatever it answers. */
export function listMovements(t: TestApp, tenant: TestTenant, query: Record<string, string | number> = {}): Test {
  return t.http.get('/api/stock-movements').set(tenant.auth).query(query);
}

/** GET /api/items/:id/movements, whatever it answers. */
export function itemMovements(
  t: TestApp,
  tenant: TestTenant,
  itemId: string,
  query: Record<string, string | number> = {},
): Test {
  return t.http.get(`/api/items/${itemId}/movements`).set(tenant.auth).query(query);
}

/** GET /api/admin/ledger with the ADMIN_TOKEN, whatever it answers. */
export function adminLedgerCheck(t: TestApp, query: Record<string, string> = {}): Test {
  return t.http.get('/api/admin/ledger').set(adminAuth).query(query);
}

/** checkLedger over one tenant's rows. */
export function ledgerCheckOf(t: TestApp, tenantId: string) {
  return checkLedger(t.db.manager, tenantId);
}

/**
 * Runs `sql` in a transaction with triggers off (session_replication_role =
 * replica): the one way to change stock without its movement, for tests of the check.
 */
export async function behindTheLedger(t: TestApp, sql: string, params: unknown[] = []): Promise<void> {
  await t.db.transaction(async (m) => {
    await m.query('SET LOCAL session_replication_role = replica');
    await m.query(sql, params);
  });
}
