import type { CursorCodec } from '../common/cursor.js';
import { cursorTimestamp, SqlWhere } from '../common/keyset.js';
import type { ListOrdersQuery, OrderSort } from './dto/list-orders.query.js';
import { orderSelect } from './order.repository.js';

interface SortSpec {
  column: 'created_at' | 'total_amount';
  descending: boolean;
  /** The column as exact text for the cursor (timestamps keep their microseconds). */
  cursorSql: string;
  cast: 'timestamptz' | 'bigint';
}

const SORTS: Record<OrderSort, SortSpec> = {
  newest: { column: 'created_at', descending: true, cursorSql: cursorTimestamp('o.created_at'), cast: 'timestamptz' },
  oldest: { column: 'created_at', descending: false, cursorSql: cursorTimestamp('o.created_at'), cast: 'timestamptz' },
  highest_value: { column: 'total_amount', descending: true, cursorSql: 'o.total_amount::text', cast: 'bigint' },
  lowest_value: { column: 'total_amount', descending: false, cursorSql: 'o.total_amount::text', cast: 'bigint' },
};

export const cursorKind = (sort: OrderSort) => `orders:${sort}`;

/**
 * The one SQL statement behind GET /api/orders: filters, keyset on (sort column,
 * id) and the lines of each order, whatever the page size. Exported so the
 * benchmark can time exactly this statement on its own.
 */
export function buildOrderListQuery(
  tenantId: string,
  query: ListOrdersQuery,
  cursors: CursorCodec,
): { text: string; params: unknown[]; limit: number; sort: OrderSort } {
  const sort = query.sort ?? 'newest';
  const spec = SORTS[sort];
  const limit = query.limit ?? 20;
  const where = new SqlWhere().add('o.tenant_id = ?', tenantId);
  if (query.created_from !== undefined) where.add('o.created_at >= ?::timestamptz', query.created_from);
  if (query.created_to !== undefined) where.add('o.created_at < ?::timestamptz', query.created_to);
  if (query.min_total !== undefined) where.add('o.total_amount >= ?', query.min_total);
  if (query.max_total !== undefined) where.add('o.total_amount <= ?', query.max_total);
  if (query.customer_ref !== undefined) where.add('o.customer_ref = ?', query.customer_ref);
  if (query.cursor !== undefined) {
    const [value, id] = cursors.decode(cursorKind(sort), query.cursor, 2);
    where.add(`(o.${spec.column}, o.id) ${spec.descending ? '<' : '>'} (?::${spec.cast}, ?::uuid)`, value, id);
  }
  const direction = spec.descending ? 'DESC' : 'ASC';
  const orderBy = (alias: string) => `ORDER BY ${alias}.${spec.column} ${direction}, ${alias}.id ${direction}`;
  const take = where.param(limit + 1);
  const select = orderSelect({ extraColumns: `${spec.cursorSql} AS cursor_value` });
  const statuses = [...new Set(query.status ?? [])];

  if (statuses.length <= 1) {
    if (statuses.length === 1) where.add('o.status = ?', statuses[0]);
    return { text: `${select} WHERE ${where} ${orderBy('o')} LIMIT ${take}`, params: where.params, limit, sort };
  }
  // Several statuses: one ordered index scan per status (tenant_id, status, column, id),
  // merged; the lines are fetched only for the rows of the page.
  const branches = statuses.map(
    (status) => `(SELECT o.id, o.${spec.column} FROM orders o
       WHERE ${where} AND o.status = ${where.param(status)} ${orderBy('o')} LIMIT ${take})`,
  );
  const text = `${select}
    JOIN (SELECT p.id FROM (${branches.join(' UNION ALL ')}) p ${orderBy('p')} LIMIT ${take}) page ON page.id = o.id
    ${orderBy('o')}`;
  return { text, params: where.params, limit, sort };
}
