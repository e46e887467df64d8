import type { EntityManager } from 'typeorm';
import type { HoldLine } from '../reservations/allocation.js';
import { sql, type SqlPart } from '../database/sql.js';
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

/** Orders with their lines and history, in one query (those of another tenant are not found). */
export async function findOrders(manager: EntityManager, tenantId: string, ids: string[]): Promise<OrderView[]> {
  if (ids.length === 0) return [];
  const rows = await sql<OrderRow>(
    manager,
    `${orderSelect({ history: true })} WHERE o.tenant_id = $1 AND o.id = ANY($2::uuid[])`,
    [tenantId, ids],
  );
  return rows.map(toOrderView);
}

/**
 * Locks order rows (pessimistic_write) of a tenant in one statement, sorted by
 * id, so that two batches that share orders take them in one order.
 */
export function lockOrders(manager: EntityManager, tenantId: string, ids: string[]): Promise<LockedOrder[]> {
  return sql<LockedOrder>(
    manager,
    `SELECT id, tenant_id, status, reservation_id FROM orders WHERE tenant_id = $1 AND id = ANY($2::uuid[])
     ORDER BY id FOR UPDATE`,
    [tenantId, ids],
  );
}

/** A change of an order's status (from null: a new order's first), by whom and why. */
export interface StatusChange {
  id: string;
  tenant_id: string;
  from: OrderStatus | null;
  to: OrderStatus;
  actor: string;
  reason: string | null;
  /** When, if the caller has told it already (a batch's answer); else the row's own clock_timestamp(). */
  at?: string;
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
  addStatusChanges(
    uow,
    orders.map((o) => ({ id: o.id, tenant_id: o.tenant_id, from, to, actor, reason })),
  );
}

/**
 * Adds status changes of any orders, each its own, to a unit of work: collected
 * parts, so that every caller's changes (those of a batch) go in one of each.
 */
export function addStatusChanges(uow: UnitOfWork, changes: StatusChange[]): void {
  uow.collect(
    'order_status',
    changes.filter((c) => c.from !== null),
    setStatuses,
  );
  uow.collect('order_history', changes, insertHistory);
}

function setStatuses(changes: StatusChange[]): SqlPart {
  return {
    text: `UPDATE orders o SET status = c.status, updated_at = now()
           FROM unnest($1::uuid[], $2::text[]) AS c(id, status) WHERE o.id = c.id`,
    params: [changes.map((c) => c.id), changes.map((c) => c.to)],
  };
}

function insertHistory(changes: StatusChange[]): SqlPart {
  return {
    text: `INSERT INTO order_status_history (order_id, tenant_id, from_status, to_status, actor, reason, created_at)
           SELECT c.id, c.tenant_id, c.from_status, c.to_status, c.actor, c.reason, COALESCE(c.at, clock_timestamp())
           FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[])
                AS c(id, tenant_id, from_status, to_status, actor, reason, at)`,
    params: [
      changes.map((c) => c.id),
      changes.map((c) => c.tenant_id),
      changes.map((c) => c.from),
      changes.map((c) => c.to),
      changes.map((c) => c.actor),
      changes.map((c) => c.reason),
      changes.map((c) => c.at ?? null),
    ],
  };
}

/** A new order as it is inserted, with the held lines it is made of and their prices. */
export interface NewOrder {
  id: string;
  tenant_id: string;
  currency: string;
  total_amount: bigint;
  customer_ref: string | null;
  reservation_id: string;
  lines: HoldLine[];
  prices: ReadonlyMap<string, number>;
}

/** Adds new orders and their lines to a unit of work (collected parts: every caller's orders in one of each). */
export function addNewOrders(uow: UnitOfWork, orders: NewOrder[]): void {
  uow.collect('new_orders', orders, insertOrders);
  uow.collect('new_order_lines', orders, insertOrderLines);
}

function insertOrders(orders: NewOrder[]): SqlPart {
  return {
    text: `INSERT INTO orders (id, tenant_id, currency, total_amount, customer_ref, reservation_id)
           SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::text[], $6::uuid[])`,
    params: [
      orders.map((o) => o.id),
      orders.map((o) => o.tenant_id),
      orders.map((o) => o.currency),
      orders.map((o) => o.total_amount.toString()),
      orders.map((o) => o.customer_ref),
      orders.map((o) => o.reservation_id),
    ],
  };
}

function insertOrderLines(orders: NewOrder[]): SqlPart {
  const lines = orders.flatMap((o) => o.lines.map((l) => ({ o, l })));
  return {
    text: `INSERT INTO order_line (order_id, tenant_id, item_id, warehouse_id, quantity, unit_price, line_total)
           SELECT l.order_id, l.tenant_id, l.item_id, l.warehouse_id, l.quantity, l.unit_price, l.quantity::bigint * l.unit_price
           FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::int[], $6::bigint[])
                AS l(order_id, tenant_id, item_id, warehouse_id, quantity, unit_price)`,
    params: [
      lines.map(({ o }) => o.id),
      lines.map(({ o }) => o.tenant_id),
      lines.map(({ l }) => l.item_id),
      lines.map(({ l }) => l.warehouse_id),
      lines.map(({ l }) => l.quantity),
      lines.map(({ o, l }) => o.prices.get(l.item_id)),
    ],
  };
}
