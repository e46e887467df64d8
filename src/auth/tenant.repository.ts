import type { DataSource, EntityManager } from 'typeorm';
import { cursorTimestamp } from '../common/keyset.js';
import { sql } from '../database/sql.js';

// Every query of the tenant table.

export interface TenantRow {
  id: string;
  name: string;
  created_at: Date;
  disabled_at: Date | null;
}

export interface TenantView {
  id: string;
  name: string;
  created_at: string;
  disabled_at: string | null;
}

export const toTenantView = (row: TenantRow): TenantView => ({
  id: row.id,
  name: row.name,
  created_at: row.created_at.toISOString(),
  disabled_at: row.disabled_at?.toISOString() ?? null,
});

const COLUMNS = 'id, name, created_at, disabled_at';

export async function insertTenant(manager: EntityManager, name: string): Promise<TenantRow> {
  const [row] = await sql<TenantRow>(manager, `INSERT INTO tenant (name) VALUES ($1) RETURNING ${COLUMNS}`, [name]);
  return row!;
}

/**
 * The tenant, locked against a change of its own (FOR SHARE: keys can be made
 * for it side by side) or for one (FOR UPDATE); undefined when there is none.
 */
export async function lockTenant(
  manager: EntityManager,
  id: string,
  mode: 'share' | 'update',
): Promise<TenantRow | undefined> {
  const [row] = await sql<TenantRow>(
    manager,
    `SELECT ${COLUMNS} FROM tenant WHERE id = $1 FOR ${mode === 'share' ? 'SHARE' : 'UPDATE'}`,
    [id],
  );
  return row;
}

export async function findTenant(db: DataSource, id: string): Promise<TenantRow | undefined> {
  const [row] = await db.query<TenantRow[]>(`SELECT ${COLUMNS} FROM tenant WHERE id = $1`, [id]);
  return row;
}

/** Every tenant, oldest first, after the cursor's (created_at, id). */
export function listTenants(
  db: DataSource,
  after: [string, string] | undefined,
  limit: number,
): Promise<(TenantRow & { cursor_ts: string })[]> {
  return db.query(
    `SELECT ${COLUMNS}, ${cursorTimestamp('created_at')} AS cursor_ts FROM tenant
     ${after ? 'WHERE (created_at, id) > ($2::timestamptz, $3::uuid)' : ''}
     ORDER BY created_at, id LIMIT $1`,
    after ? [limit, ...after] : [limit],
  );
}

/** Disables (now) or enables the tenant. */
export async function setTenantDisabled(manager: EntityManager, id: string, disabled: boolean): Promise<TenantRow> {
  const [row] = await sql<TenantRow>(
    manager,
    `UPDATE tenant SET disabled_at = ${disabled ? 'now()' : 'NULL'} WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  return row!;
}

export async function countTenants(db: DataSource): Promise<number> {
  const [row] = await db.query<{ n: number }[]>('SELECT count(*)::int AS n FROM tenant');
  return row?.n ?? 0;
}
