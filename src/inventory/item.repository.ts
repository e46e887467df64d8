import type { EntityManager } from 'typeorm';
import { sql } from '../database/sql.js';
import { LAPSED_UNITS_SQL } from '../reservations/reservation.repository.js';

export interface StockView {
  warehouse_id: string;
  warehouse_code: string;
  on_hand: number;
  reserved: number;
  available: number;
}

export interface ItemView {
  id: string;
  sku: string | null;
  name: string;
  description: string | null;
  /** Units on hand over all warehouses. */
  qty: number;
  reserved: number;
  available: number;
  stock: StockView[];
  created_at: string;
  updated_at: string;
}

export interface ItemRow {
  id: string;
  sku: string | null;
  name: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
  stock: StockView[];
}

/**
 * Live items with their stock per warehouse, in one query; callers add
 * WHERE/ORDER/LIMIT after `i.deleted_at IS NULL`. `reserved` leaves lapsed holds
 * out (OFFSET 0 keeps the row subquery whole, so it is computed once per row).
 */
export const ITEM_SELECT = `
  SELECT i.id, i.sku, i.name, i.description, i.created_at, i.updated_at, COALESCE(st.stock, '[]'::json) AS stock
  FROM item i
  LEFT JOIN LATERAL (
    SELECT json_agg(json_build_object(
             'warehouse_id', s.warehouse_id, 'warehouse_code', w.code,
             'on_hand', s.on_hand, 'reserved', s.reserved, 'available', s.on_hand - s.reserved)
           ORDER BY w.priority, w.code) AS stock
    FROM (
      SELECT s.warehouse_id, s.on_hand, s.reserved - ${LAPSED_UNITS_SQL} AS reserved
      FROM stock s WHERE s.item_id = i.id
      OFFSET 0
    ) s JOIN warehouse w ON w.id = s.warehouse_id
  ) st ON true
  WHERE i.deleted_at IS NULL`;

export function toItemView(row: ItemRow): ItemView {
  const qty = row.stock.reduce((sum, s) => sum + s.on_hand, 0);
  const reserved = row.stock.reduce((sum, s) => sum + s.reserved, 0);
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    qty,
    reserved,
    available: qty - reserved,
    stock: row.stock,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export async function findItemView(
  manager: EntityManager,
  tenantId: string,
  id: string,
): Promise<ItemView | undefined> {
  const [row] = await sql<ItemRow>(manager, `${ITEM_SELECT} AND i.tenant_id = $1 AND i.id = $2`, [tenantId, id]);
  return row ? toItemView(row) : undefined;
}

/** Inserts an item; its id. Unique indexes refuse a live duplicate name or SKU (item_name_live_key, item_sku_live_key). */
export async function insertItem(
  manager: EntityManager,
  tenantId: string,
  item: { sku: string | null; name: string; description: string | null },
): Promise<string> {
  const [row] = await sql<{ id: string }>(
    manager,
    'INSERT INTO item (tenant_id, sku, name, description) VALUES ($1, $2, $3, $4) RETURNING id',
    [tenantId, item.sku, item.name, item.description],
  );
  return row!.id;
}

/** Locks a live item FOR UPDATE (a delete: no hold, adjustment or order can take it meanwhile); false when there is none. */
export async function lockLiveItem(manager: EntityManager, tenantId: string, id: string): Promise<boolean> {
  const rows = await sql(
    manager,
    'SELECT id FROM item WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL FOR UPDATE',
    [id, tenantId],
  );
  return rows.length > 0;
}

/** Soft delete: the name and SKU become free again (the unique indexes cover live items only). */
export async function markDeleted(manager: EntityManager, id: string): Promise<void> {
  await sql(manager, 'UPDATE item SET deleted_at = now(), updated_at = now() WHERE id = $1', [id]);
}

export async function itemIsLive(manager: EntityManager, tenantId: string, id: string): Promise<boolean> {
  const rows = await sql(manager, 'SELECT 1 FROM item WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL', [
    id,
    tenantId,
  ]);
  return rows.length > 0;
}

/** Whether the tenant has or had this item (a deleted one too: its ledger stays readable). */
export async function itemExists(manager: EntityManager, tenantId: string, id: string): Promise<boolean> {
  const rows = await sql(manager, 'SELECT 1 FROM item WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
  return rows.length > 0;
}
