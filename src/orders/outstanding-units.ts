import type { EntityManager } from 'typeorm';
import { sql } from '../database/sql.js';
import type { OrderStatus } from './order-transitions.js';

/**
 * Orders whose units have left on_hand but not the business: a confirmed order
 * can still be cancelled, which puts its units back. Processing ones are counted
 * too, so that a cancel from processing, if the table ever allows one, finds
 * them covered; a shipped order's units are gone for good.
 */
export const OUTSTANDING_STATUSES: readonly OrderStatus[] = ['confirmed', 'processing'];

/**
 * Units on confirmed or processing orders of an item, per warehouse (those with
 * none are absent), or of one stock row when `warehouseId` is given. Run it after
 * the rows are locked, as a statement of its own: under READ COMMITTED it then
 * sees every order that changed them before the lock was granted (a subquery of
 * the locking statement would see its older snapshot). The planner joins the
 * item's lines (order_line_stock_idx) with the tenant's open orders
 * (orders_tenant_status_*_idx), starting from whichever it expects fewer of.
 */
export async function outstandingUnits(
  manager: EntityManager,
  tenantId: string,
  itemId: string,
  warehouseId?: string,
): Promise<Map<string, number>> {
  const sums = await sql<{ warehouse_id: string; units: string }>(
    manager,
    `SELECT l.warehouse_id, sum(l.quantity) AS units
     FROM order_line l JOIN orders o ON o.id = l.order_id
     WHERE l.tenant_id = $1 AND o.tenant_id = $1 AND l.item_id = $2 AND ($3::uuid IS NULL OR l.warehouse_id = $3)
       AND o.status = ANY($4::text[])
     GROUP BY l.warehouse_id`,
    [tenantId, itemId, warehouseId ?? null, OUTSTANDING_STATUSES],
  );
  return new Map(sums.map((s) => [s.warehouse_id, Number(s.units)]));
}

/**
 * Units on confirmed or processing orders of each of several stock rows, keyed
 * by `item_id/warehouse_id` (rows with none are absent): outstandingUnits for a
 * batch, in one statement, with the same rule (run it after the rows are locked).
 */
export async function outstandingUnitsOn(
  manager: EntityManager,
  tenantId: string,
  keys: { item_id: string; warehouse_id: string }[],
): Promise<Map<string, number>> {
  if (keys.length === 0) return new Map();
  const sums = await sql<{ item_id: string; warehouse_id: string; units: string }>(
    manager,
    `SELECT l.item_id, l.warehouse_id, sum(l.quantity) AS units
     FROM unnest($2::uuid[], $3::uuid[]) AS k(item_id, warehouse_id)
     JOIN order_line l ON l.item_id = k.item_id AND l.warehouse_id = k.warehouse_id
     JOIN orders o ON o.id = l.order_id
     WHERE l.tenant_id = $1 AND o.tenant_id = $1 AND o.status = ANY($4::text[])
     GROUP BY l.item_id, l.warehouse_id`,
    [tenantId, keys.map((k) => k.item_id), keys.map((k) => k.warehouse_id), OUTSTANDING_STATUSES],
  );
  return new Map(sums.map((s) => [`${s.item_id}/${s.warehouse_id}`, Number(s.units)]));
}
