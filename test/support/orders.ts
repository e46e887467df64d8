import { expect } from '@jest/globals';
import type { Response, Test } from 'supertest';
import type { TestTenant } from './fixtures.js';
import type { TestApp } from './test-app.js';

// Orders: the contract's state machine, written out independently of src/, and
// the HTTP calls that create, move and read orders.

export type OrderStatus = 'pending' | 'confirmed' | 'processing' | 'shipped' | 'delivered' | 'cancelled';
export const STATUSES: OrderStatus[] = ['pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled'];

/** The statuses an order may move to from each status. */
export const ALLOWED: Record<OrderStatus, OrderStatus[]> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['processing', 'cancelled'],
  processing: ['shipped'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

/** A valid path from a new (pending) order to each status. */
export const PATH_TO: Record<OrderStatus, OrderStatus[]> = {
  pending: [],
  confirmed: ['confirmed'],
  processing: ['confirmed', 'processing'],
  shipped: ['confirmed', 'processing', 'shipped'],
  delivered: ['confirmed', 'processing', 'shipped', 'delivered'],
  cancelled: ['cancelled'],
};

export interface OrderLine {
  item_id: string;
  warehouse_id: string;
  quantity: number;
  unit_price: number;
  line_total: number;
}

export interface OrderData {
  id: string;
  status: OrderStatus;
  currency: string;
  total_amount: number;
  customer_ref: string | null;
  reservation_id: string;
  lines: OrderLine[];
  created_at: string;
  updated_at: string;
  history?: { from: OrderStatus | null; to: OrderStatus; at: string; actor: string; reason: string | null }[];
}

/** POST /api/orders, whatever it answers. */
export function createOrder(t: TestApp, tenant: TestTenant, body: unknown): Test {
  return t.http
    .post('/api/orders')
    .set(tenant.auth)
    .send(body as object);
}

/** POST /api/orders that must answer 201; returns the order. */
export async function createOrderOk(t: TestApp, tenant: TestTenant, body: unknown): Promise<OrderData> {
  const res = await createOrder(t, tenant, body);
  if (res.status !== 201) throw new Error(`create order: expected 201, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** A pending EUR order of `quantity` units of one item at `unitPrice` (`extra`: more fields of the body). */
export function orderOf(
  t: TestApp,
  tenant: TestTenant,
  itemId: string,
  quantity = 1,
  unitPrice = 100,
  extra: object = {},
): Promise<OrderData> {
  return createOrderOk(t, tenant, {
    currency: 'EUR',
    lines: [{ item_id: itemId, quantity, unit_price: unitPrice }],
    ...extra,
  });
}

/** POST /api/orders/:id/transitions to `to`, whatever it answers. */
export function transition(t: TestApp, tenant: TestTenant, id: string, to: string): Test {
  return t.http.post(`/api/orders/${id}/transitions`).set(tenant.auth).send({ to });
}

/** A transition that must answer 200; returns the order. */
export async function transitionOk(t: TestApp, tenant: TestTenant, id: string, to: string): Promise<OrderData> {
  const res = await transition(t, tenant, id, to);
  if (res.status !== 200) {
    throw new Error(`transition to ${to}: expected 200, got ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body.data;
}

/** Moves a new order to `status` along PATH_TO. */
export async function driveTo(t: TestApp, tenant: TestTenant, id: string, status: OrderStatus): Promise<void> {
  for (const to of PATH_TO[status]) await transitionOk(t, tenant, id, to);
}

/** GET /api/orders/:id that must answer 200; returns the order with its history. */
export async function getOrder(t: TestApp, tenant: TestTenant, id: string): Promise<OrderData> {
  const res = await t.http.get(`/api/orders/${id}`).set(tenant.auth);
  if (res.status !== 200) throw new Error(`get order: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/**
 * GET /api/orders?<query>&limit=<limit> page by page, following next_cursor from
 * `startCursor`, and checks every page's envelope on the way (the limit echoed, every
 * page but the last full); returns every page's orders.
 */
export async function orderPages(
  t: TestApp,
  tenant: TestTenant,
  query: string,
  limit: number,
  startCursor: string | null = null,
): Promise<OrderData[][]> {
  const pages: OrderData[][] = [];
  let cursor: string | null = startCursor;
  do {
    const qs: string = [query, `limit=${limit}`, cursor ? `cursor=${encodeURIComponent(cursor)}` : '']
      .filter(Boolean)
      .join('&');
    const res: Response = await t.http.get(`/api/orders?${qs}`).set(tenant.auth);
    if (res.status !== 200) throw new Error(`GET /api/orders?${qs}: ${res.status} ${JSON.stringify(res.body)}`);
    expect(res.body.page.limit).toBe(limit);
    cursor = res.body.page.next_cursor;
    expect(res.body.data.length).toBeLessThanOrEqual(limit);
    if (cursor) expect(res.body.data).toHaveLength(limit);
    pages.push(res.body.data);
    if (pages.length > 100) throw new Error('more than 100 pages: the cursor does not advance');
  } while (cursor);
  return pages;
}
