import type { Test } from 'supertest';
import type { TestTenant } from './fixtures.js';
import type { TestApp } from './test-app.js';

// The stock operations over HTTP: counts, transfers and batches of adjustments.

/** POST /api/stock/counts, whatever it answers. */
export function countStock(t: TestApp, tenant: TestTenant, body: unknown): Test {
  return t.http
    .post('/api/stock/counts')
    .set(tenant.auth)
    .send(body as object);
}

/** POST /api/stock/transfers, whatever it answers. */
export function transferStock(t: TestApp, tenant: TestTenant, body: unknown): Test {
  return t.http
    .post('/api/stock/transfers')
    .set(tenant.auth)
    .send(body as object);
}

/** POST /api/stock/adjustments, whatever it answers. */
export function adjustStock(t: TestApp, tenant: TestTenant, body: unknown): Test {
  return t.http
    .post('/api/stock/adjustments')
    .set(tenant.auth)
    .send(body as object);
}

/** The ledger rows of one stock row, oldest first: what tests compare after an operation. */
export async function movementsOf(t: TestApp, itemId: string, warehouseId: string) {
  return t.db.query(
    `SELECT seq, type, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reference, reason, request_id
     FROM stock_movement WHERE item_id = $1 AND warehouse_id = $2 ORDER BY seq`,
    [itemId, warehouseId],
  );
}
