import type { EntityManager } from 'typeorm';
import { setList } from '../common/patch.js';
import { sql, type SqlPart } from '../database/sql.js';
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
  reorder_point: number | null;
  /** available <= reorder_point (false without a reorder point). */
  low_stock: boolean;
  stock: StockView[];
  created_at: string;
  updated_at: string;
}

export interface ItemRow {
  id: string;
  sku: string | null;
  name: string;
  description: string | null;
  reorder_point: number | null;
  created_at: Date;
  updated_at: Date;
  stock: StockView[];
}

/**
 * Live items with their stock per warehouse, in one query; callers add
 * WHERE/ORDER/LIMIT after `i.deleted_at IS NULL`. `reserved` leaves lapsed holds
 * out (OFFSET 0 keeps the row subquery whole, so it is computed once per row).
 */
export const ITEM_SELECT = itemSelect('');

function itemSelect(extraColumns: string): string {
  return `
  SELECT i.id, i.sku, i.name, i.description, i.reorder_point, i.created_at, i.updated_at,
         COALESCE(st.stock, '[]'::json) AS stock${extraColumns}
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
}

/**
 * When the first active hold counted in the item's `reserved` lapses (null: none):
 * the view changes then without a write, so a cached copy must not outlive it.
 * Only rows with reserved units can have such holds.
 */
const HOLDS_UNTIL = `,
         (SELECT min(r.expires_at)
          FROM stock s2
          JOIN reservation_line l ON l.item_id = s2.item_id AND l.warehouse_id = s2.warehouse_id
          JOIN reservation r ON r.id = l.reservation_id
          WHERE s2.item_id = i.id AND s2.reserved > 0 AND r.tenant_id = i.tenant_id
            AND r.status = 'active' AND r.expires_at > now()) AS holds_until`;
const ITEM_SELECT_FOR_CACHE = itemSelect(HOLDS_UNTIL);

export function toItemView(row: ItemRow): ItemView {
  const qty = row.stock.reduce((sum, s) => sum + s.on_hand, 0);
  const reserved = row.stock.reduce((sum, s) => sum + s.reserved, 0);
  const available = qty - reserved;
  return {
    id: row.id,
    sku: row.sku,
    name: row.name,
    description: row.description,
    qty,
    reserved,
    available,
    reorder_point: row.reorder_point,
    low_stock: row.reorder_point !== null && available <= row.reorder_point,
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

/** The live item of the tenant with this SKU (item_sku_live_key). */
export async function findItemViewBySku(
  manager: EntityManager,
  tenantId: string,
  sku: string,
): Promise<ItemView | undefined> {
  const [row] = await sql<ItemRow>(manager, `${ITEM_SELECT} AND i.tenant_id = $1 AND i.sku = $2`, [tenantId, sku]);
  return row ? toItemView(row) : undefined;
}

/** The live items of the tenant among `ids`, each with when its first hold lapses: what the read cache stores. One statement (one snapshot). */
export async function findItemViewsForCache(
  manager: EntityManager,
  tenantId: string,
  ids: string[],
): Promise<{ view: ItemView; holdsUntil: Date | null }[]> {
  if (ids.length === 0) return [];
  const rows = await sql<ItemRow & { holds_until: Date | null }>(
    manager,
    `${ITEM_SELECT_FOR_CACHE} AND i.tenant_id = $1 AND i.id = ANY($2::uuid[])`,
    [tenantId, ids],
  );
  return rows.map((row) => ({ view: toItemView(row), holdsUntil: row.holds_until }));
}

/** The live items of the tenant with these ids or SKUs, in one statement (reads without the cache). */
export async function findItemViewsByRefs(
  manager: EntityManager,
  tenantId: string,
  ids: string[],
  skus: string[],
): Promise<ItemView[]> {
  if (ids.length === 0 && skus.length === 0) return [];
  const rows = await sql<ItemRow>(
    manager,
    `${ITEM_SELECT} AND i.tenant_id = $1 AND (i.id = ANY($2::uuid[]) OR i.sku = ANY($3::text[]))`,
    [tenantId, ids, skus],
  );
  return rows.map(toItemView);
}

/** What a client sets on an item (create, PATCH): the columns of the same names. */
export interface ItemFields {
  sku: string | null;
  name: string;
  description: string | null;
  reorder_point: number | null;
}

/** Inserts an item; its id. Unique indexes refuse a live duplicate name or SKU (item_name_live_key, item_sku_live_key). */
export async function insertItem(manager: EntityManager, tenantId: string, item: ItemFields): Promise<string> {
  const [row] = await sql<{ id: string }>(
    manager,
    'INSERT INTO item (tenant_id, sku, name, description, reorder_point) VALUES ($1, $2, $3, $4, $5) RETURNING id',
    [tenantId, item.sku, item.name, item.description, item.reorder_point],
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

/**
 * Locks a live item for an update of its fields and reads them; undefined when
 * there is none. FOR NO KEY UPDATE: holds and adjustments (KEY SHARE on the item)
 * neither wait for it nor block it; a delete (FOR UPDATE) does, either way.
 */
export async function lockItemFields(
  manager: EntityManager,
  tenantId: string,
  id: string,
): Promise<ItemFields | undefined> {
  const [row] = await sql<ItemFields>(
    manager,
    `SELECT sku, name, description, reorder_point FROM item
     WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL FOR NO KEY UPDATE`,
    [id, tenantId],
  );
  return row;
}

/** The UPDATE of a locked item's fields, as a part of its unit of work; the unique indexes decide duplicates. */
export function updateItemPart(id: string, changes: Partial<ItemFields>): SqlPart {
  const set = setList(changes, 2);
  return { text: `UPDATE item SET ${set.text}, updated_at = now() WHERE id = $1`, params: [id, ...set.params] };
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

/** The live items of the tenant with these SKUs: id by SKU (unknown ones are missing). One query, by item_sku_live_key. */
export async function itemIdsBySku(
  manager: EntityManager,
  tenantId: string,
  skus: string[],
): Promise<Map<string, string>> {
  if (skus.length === 0) return new Map();
  const rows = await sql<{ id: string; sku: string }>(
    manager,
    'SELECT id, sku FROM item WHERE tenant_id = $1 AND sku = ANY($2::text[]) AND deleted_at IS NULL',
    [tenantId, skus],
  );
  return new Map(rows.map((r) => [r.sku, r.id]));
}

/** Whether the tenant has or had this item (a deleted one too: its ledger stays readable). */
export async function itemExists(manager: EntityManager, tenantId: string, id: string): Promise<boolean> {
  const rows = await sql(manager, 'SELECT 1 FROM item WHERE id = $1 AND tenant_id = $2', [id, tenantId]);
  return rows.length > 0;
}
