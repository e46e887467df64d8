import type { EntityManager } from 'typeorm';
import { sql } from '../database/sql.js';
import type { LockedStock } from './stock.repository.js';

export interface AdjustedStock {
  on_hand: number;
  reserved: number;
}

/**
 * Takes `-delta` units off one stock row in a single guarded statement, so
 * concurrent adjustments can neither lose an update nor take the row below its
 * reserved units. The item must be live: the CTE takes a KEY SHARE lock on it,
 * which waits for a concurrent delete (FOR UPDATE) and then sees its outcome.
 * Returns undefined when nothing was changed (unknown item or row, short stock).
 */
export async function removeStock(
  manager: EntityManager,
  tenantId: string,
  itemId: string,
  warehouseId: string,
  delta: number,
): Promise<AdjustedStock | undefined> {
  const [row] = await sql<AdjustedStock>(
    manager,
    `WITH it AS (SELECT id FROM item WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL FOR KEY SHARE)
     UPDATE stock s SET on_hand = s.on_hand + $4, updated_at = now()
     FROM it
     WHERE s.item_id = it.id AND s.warehouse_id = $3 AND s.on_hand - s.reserved + $4 >= 0
     RETURNING s.on_hand, s.reserved`,
    [itemId, tenantId, warehouseId, delta],
  );
  return row;
}

/**
 * KEY SHARE on the live item, then its stock row in the warehouse FOR UPDATE: the
 * lock order of every path (item, then stock), in one statement: the stock branch
 * reads the item's CTE, so the item is locked first. Undefined when the item is
 * not live; `row` undefined when it has no stock there yet.
 */
export async function lockStockRow(
  manager: EntityManager,
  tenantId: string,
  itemId: string,
  warehouseId: string,
): Promise<{ row?: LockedStock } | undefined> {
  const rows = await sql<{ is_item: boolean } & LockedStock>(
    manager,
    `WITH it AS MATERIALIZED (
       SELECT id FROM item WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL FOR KEY SHARE
     ), locked AS MATERIALIZED (
       SELECT item_id, warehouse_id, on_hand, reserved FROM stock
       WHERE item_id IN (SELECT id FROM it) AND warehouse_id = $3
       FOR UPDATE
     )
     SELECT true AS is_item, id AS item_id, NULL::uuid AS warehouse_id, NULL::int AS on_hand, NULL::int AS reserved
     FROM it
     UNION ALL
     SELECT false, item_id, warehouse_id, on_hand, reserved FROM locked`,
    [itemId, tenantId, warehouseId],
  );
  if (!rows.some((r) => r.is_item)) return undefined;
  const found = rows.find((r) => !r.is_item);
  if (!found) return {};
  const { is_item: _, ...row } = found;
  return { row };
}

/** Every stock row of an item FOR UPDATE, sorted by warehouse (the caller holds the item row: item, then stock). */
export async function lockItemStock(manager: EntityManager, itemId: string): Promise<LockedStock[]> {
  return sql<LockedStock>(
    manager,
    `SELECT item_id, warehouse_id, on_hand, reserved FROM stock WHERE item_id = $1 ORDER BY warehouse_id FOR UPDATE`,
    [itemId],
  );
}

/** on_hand += delta on a row the caller has locked and checked. */
export async function addToLockedRow(manager: EntityManager, row: LockedStock, delta: number): Promise<AdjustedStock> {
  const [updated] = await sql<AdjustedStock>(
    manager,
    `UPDATE stock SET on_hand = on_hand + $3, updated_at = now() WHERE item_id = $1 AND warehouse_id = $2
     RETURNING on_hand, reserved`,
    [row.item_id, row.warehouse_id, delta],
  );
  return updated!;
}

/**
 * The first stock of a live item (KEY SHARE held by the caller) in a warehouse.
 * A new row has no orders, so no room to keep. Undefined when another request
 * created the row meanwhile (it then exists: lock it and count its orders).
 */
export async function insertStockRow(
  manager: EntityManager,
  tenantId: string,
  itemId: string,
  warehouseId: string,
  units: number,
): Promise<AdjustedStock | undefined> {
  const [row] = await sql<AdjustedStock>(
    manager,
    `INSERT INTO stock (tenant_id, item_id, warehouse_id, on_hand) VALUES ($1, $2, $3, $4)
     ON CONFLICT (item_id, warehouse_id) DO NOTHING
     RETURNING on_hand, reserved`,
    [tenantId, itemId, warehouseId, units],
  );
  return row;
}
