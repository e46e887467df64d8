import type { EntityManager } from 'typeorm';
import { sql } from '../database/sql.js';
import type { UnitOfWork } from '../database/unit-of-work.js';
import type { OrderStatus } from './order-transitions.js';

export interface OrderLineView {
  item_id: string;
  warehouse_id: string;
  quantity: number;
  unit_price: number;
  line_total: number;
}

export interface StatusChangeView {
  from: OrderStatus | null;
  to: OrderStatus;
  at: string;
  actor: string;
  reason: string | null;
}

export interface OrderView {
  id: string;
  status: OrderStatus;
  currency: string;
  /** Σ quantity × unit_price, in minor units, computed by the server. */
  total_amount: number;
  customer_ref: string | null;
  reservation_id: string;
  lines: OrderLineView[];
  created_at: string;
  updated_at: string;
  history?: StatusChangeView[];
}

export interface OrderRow {
  id: string;
  status: OrderStatus;
  currency: string;
  total_amount: string;
  customer_ref: string | null;
  reservation_id: string;
  lines: OrderLineView[] | null;
  created_at: Date;
  updated_at: Date;
  history?: StatusChangeView[] | null;
  cursor_value?: string;
}

const LINES_SQL = `(SELECT json_agg(json_build_object('item_id', l.item_id, 'warehouse_id', l.warehouse_id,
        'quantity', l.quantity, 'unit_price', l.unit_price, 'line_total', l.line_total) ORDER BY l.item_id, l.warehouse_id)
      FROM order_line l WHERE l.order_id = o.id) AS lines`;

const HISTORY_SQL = `(SELECT json_agg(json_build_object('from', h.from_status, 'to', h.to_status,
        'at', to_char(h.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), 'actor', h.actor, 'reason', h.reason)
        ORDER BY h.id)
      FROM order_status_history h WHERE h.order_id = o.id) AS history`;

/** Orders with their lines (and, for one order, its history) in one query; callers append WHERE on `o`. */
export const orderSelect = (options: { history?: boolean; extraColumns?: string } = {}) => `
  SELECT o.id, o.status, o.currency, o.total_amount, o.customer_ref, o.reservation_id, o.created_at, o.updated_at,
         ${options.extraColumns ? `${options.extraColumns},` : ''}
         ${options.history ? `${HISTORY_SQL},` : ''}
         ${LINES_SQL}
  FROM orders o`;

export function toOrderView({ cursor_value: _c, history, ...row }: OrderRow): OrderView {
  return {
    ...row,
    total_amount: Number(row.total_amount),
    lines: row.lines ?? [],
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
    ...(history !== undefined ? { history: history ?? [] } : {}),
  };
}

export async function findOrder(manager: EntityManager, tenantId: string, id: string): Promise<OrderView | undefined> {
  const [row] = await sql<OrderRow>(manager, `${orderSelect({ history: true })} WHERE o.tenant_id = $1 AND o.id = $2`, [
    tenantId,
    id,
  ]);
  return row ? toOrderView(row) : undefined;
}

export interface LockedOrder {
  id: string;
  tenant_id: string;
  status: OrderStatus;
  reservation_id: string;
}

/** Locks one order row (pessimistic_write): two transitions of one order run one after the other. */
export async function lockOrder(
  manager: EntityManager,
  tenantId: string,
  id: string,
): Promise<LockedOrder | undefined> {
  const [row] = await sql<LockedOrder>(
    manager,
    'SELECT id, tenant_id, status, reservation_id FROM orders WHERE tenant_id = $1 AND id = $2 FOR UPDATE',
    [tenantId, id],
  );
  return row;
}

/** Adds to a unit of work: the orders' new status (unless they are new, `from` null) and the change in their history. */
export function addStatusChange(
  uow: UnitOfWork,
  orders: { id: string; tenant_id: string }[],
  from: OrderStatus | null,
  to: OrderStatus,
  actor: string,
  reason: string | null = null,
): void {
  if (from !== null) {
    uow.add('order_status', {
      text: 'UPDATE orders SET status = $2, updated_at = now() WHERE id = ANY($1::uuid[])',
      params: [orders.map((o) => o.id), to],
    });
  }
  uow.add('order_history', {
    text: `INSERT INTO order_status_history (order_id, tenant_id, from_status, to_status, actor, reason)
           SELECT o.id, o.tenant_id, $3, $4, $5, $6 FROM unnest($1::uuid[], $2::uuid[]) AS o(id, tenant_id)`,
    params: [orders.map((o) => o.id), orders.map((o) => o.tenant_id), from, to, actor, reason],
  });
}
