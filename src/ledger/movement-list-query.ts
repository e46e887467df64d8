import type { CursorCodec } from '../common/cursor.js';
import { InvalidCursorError } from '../common/cursor.js';
import { cursorTimestamp, SqlWhere } from '../common/keyset.js';
import type { ListMovementsQuery } from './dto/list-movements.query.js';
import type { MovementType } from './movement.js';

/** One movement as the API shows it. */
export interface MovementView {
  id: string;
  item_id: string;
  warehouse_id: string;
  seq: number;
  type: MovementType;
  on_hand_delta: number;
  reserved_delta: number;
  on_hand_after: number;
  reserved_after: number;
  available_after: number;
  reason: string | null;
  reference: string | null;
  actor: string;
  request_id: string;
  created_at: string;
}

export interface MovementRow extends Omit<MovementView, 'available_after' | 'created_at'> {
  created_at: Date;
  cursor_ts: string;
}

export const MOVEMENT_CURSOR_KIND = 'movements';

/**
 * The equality filters, most selective first: the first one given drives the
 * statement. `leadsWithTenant`: its index starts with tenant_id.
 */
const FILTERS = [
  { key: 'item_id', column: 'm.item_id', uuid: true, leadsWithTenant: false },
  { key: 'reference', column: 'm.reference', uuid: false, leadsWithTenant: true },
  { key: 'warehouse_id', column: 'm.warehouse_id', uuid: true, leadsWithTenant: false },
  { key: 'type', column: 'm.type', uuid: false, leadsWithTenant: true },
] as const satisfies { key: keyof ListMovementsQuery; column: string; uuid: boolean; leadsWithTenant: boolean }[];

/**
 * An equality no index can serve (a boolean test of it is not an index
 * condition) but that the planner still estimates from the column's statistics,
 * so it cannot lure the planner away from the driving index. (At 10 million
 * movements it walked the tenant's index for a warehouse filter; comparing as
 * text instead blocked the index but made the planner expect 0.5% of the rows
 * and fetch and sort an item's every movement.)
 */
const unindexed = (column: string) => `(${column} = ?) IS TRUE`;

/**
 * The one SQL statement behind the movement lists, newest first, keyset on
 * (created_at, id). Every filter has an index in that order (the ledger
 * migration), and the statement is shaped for the most selective filter given:
 * its column first in the WHERE, then the tenant (`item_id = $x AND
 * (tenant_id = $t) IS TRUE … ORDER BY created_at DESC, id DESC`), so that the planner
 * walks that index in order and stops after the page (EXPLAINed at 10 million
 * movements, bench/movements-list.mjs):
 *
 *   item       stock_movement_item_idx       (item_id, created_at DESC, id DESC)
 *   reference  stock_movement_reference_idx  (tenant_id, reference, …) WHERE reference IS NOT NULL
 *   warehouse  stock_movement_warehouse_idx  (warehouse_id, …)
 *   type       stock_movement_type_idx       (tenant_id, type, …)
 *   none       stock_movement_tenant_idx     (tenant_id, …)
 *
 * from/to and the cursor are ranges on the index's created_at column. The other
 * filters are checked on the rows the index yields, the uuid ones so that only
 * the driving index qualifies. Exported so the benchmark
 * can time exactly this statement.
 */
export function buildMovementListQuery(
  tenantId: string,
  query: ListMovementsQuery,
  cursors: CursorCodec,
): { text: string; params: unknown[]; limit: number } {
  const limit = query.limit ?? 20;
  const where = new SqlWhere();
  const [driver, ...others] = FILTERS.filter((f) => query[f.key] !== undefined);
  if (driver) where.add(`${driver.column} = ?`, query[driver.key]);
  // Every movement of an item or a warehouse is the tenant's (foreign keys): there the
  // tenant is a check, not a way in.
  const tenantIsKey = !driver || driver.leadsWithTenant;
  where.add(tenantIsKey ? 'm.tenant_id = ?' : unindexed('m.tenant_id'), tenantId);
  for (const f of others) {
    where.add(f.uuid ? unindexed(f.column) : `${f.column} = ?`, query[f.key]);
  }
  if (query.from !== undefined) where.add('m.created_at >= ?::timestamptz', query.from);
  if (query.to !== undefined) where.add('m.created_at < ?::timestamptz', query.to);
  if (query.cursor !== undefined) {
    const [ts, id] = cursors.decode(MOVEMENT_CURSOR_KIND, query.cursor, 2);
    if (typeof ts !== 'string' || typeof id !== 'string' || !/^\d{1,19}$/.test(id)) throw new InvalidCursorError();
    where.add('(m.created_at, m.id) < (?::timestamptz, ?::bigint)', ts, id);
  }
  const text = `SELECT m.id, m.item_id, m.warehouse_id, m.seq, m.type, m.on_hand_delta, m.reserved_delta,
                       m.on_hand_after, m.reserved_after, m.reason, m.reference, m.actor, m.request_id, m.created_at,
                       ${cursorTimestamp('m.created_at')} AS cursor_ts
                FROM stock_movement m
                WHERE ${where}
                ORDER BY m.created_at DESC, m.id DESC
                LIMIT ${where.param(limit + 1)}`;
  return { text, params: where.params, limit };
}

export function toMovementView({ cursor_ts: _ts, created_at, ...row }: MovementRow): MovementView {
  return {
    ...row,
    available_after: row.on_hand_after - row.reserved_after,
    created_at: created_at.toISOString(),
  };
}
