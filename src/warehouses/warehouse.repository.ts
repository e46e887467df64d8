import type { EntityManager } from 'typeorm';
import { setList } from '../common/patch.js';
import { sql, type SqlPart } from '../database/sql.js';

export interface WarehouseView {
  id: string;
  code: string;
  name: string;
  priority: number;
  is_default: boolean;
  active: boolean;
  created_at: string;
}

export interface WarehouseRow extends Omit<WarehouseView, 'created_at'> {
  created_at: Date;
}

export const WAREHOUSE_COLUMNS = 'id, code, name, priority, is_default, active, created_at';

export function toWarehouseView(row: WarehouseRow): WarehouseView {
  return { ...row, created_at: row.created_at.toISOString() };
}

/** The fields of a warehouse that PATCH may change (the columns of the same names). */
export type WarehouseChanges = Partial<Pick<WarehouseView, 'name' | 'priority' | 'active'>>;

/**
 * Locks one warehouse of the tenant for an update and reads it; undefined when
 * there is none. FOR NO KEY UPDATE: stock rows inserted meanwhile (their foreign
 * key takes KEY SHARE) neither wait for it nor block it.
 */
export async function lockWarehouse(
  manager: EntityManager,
  tenantId: string,
  id: string,
): Promise<WarehouseRow | undefined> {
  const [row] = await sql<WarehouseRow>(
    manager,
    `SELECT ${WAREHOUSE_COLUMNS} FROM warehouse WHERE tenant_id = $1 AND id = $2 FOR NO KEY UPDATE`,
    [tenantId, id],
  );
  return row;
}

/** The UPDATE of a locked warehouse, as a part of its unit of work. */
export function updateWarehousePart(id: string, changes: WarehouseChanges): SqlPart {
  const set = setList(changes, 2);
  return { text: `UPDATE warehouse SET ${set.text} WHERE id = $1`, params: [id, ...set.params] };
}

/** The tenant's warehouses with these codes: id by code (unknown ones are missing). One query, by warehouse_code_key. */
export async function warehouseIdsByCode(
  manager: EntityManager,
  tenantId: string,
  codes: string[],
): Promise<Map<string, string>> {
  if (codes.length === 0) return new Map();
  const rows = await sql<{ id: string; code: string }>(
    manager,
    'SELECT id, code FROM warehouse WHERE tenant_id = $1 AND code = ANY($2::text[])',
    [tenantId, codes],
  );
  return new Map(rows.map((r) => [r.code, r.id]));
}
