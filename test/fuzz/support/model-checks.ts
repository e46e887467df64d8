import { expect } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { checkLedger } from '../../../src/ledger/ledger-check.js';
import type { TestTenant } from '../../support/fixtures.js';
import type { TestApp } from '../../support/test-app.js';
import { expectContract } from './fuzz-kit.js';
import { type Model, type Moved, parseRowKey } from './model-state.js';

// How the model-based suite talks to the service and compares: requests under
// a request id of their own, the answer the model predicts, the movements (and
// their stock.changed events) that request wrote, and the whole tenant against
// the model after every step.

export interface Real {
  t: TestApp;
  tenant: TestTenant;
  /** The request id of the step's request, when it made one (an expiry sweep has its own). */
  requestId?: string;
}

/** What the model predicts for a request: status, error code, and whether it writes audit rows. */
export interface Expected {
  status: number;
  error?: string;
  changes: boolean;
}

export async function send(
  r: Real,
  method: 'post' | 'patch' | 'delete',
  path: string,
  body?: object,
): Promise<{ res: Response; requestId: string }> {
  const requestId = `model-${randomUUID()}`;
  r.requestId = requestId;
  let req = r.t.http[method](path).set(r.tenant.auth).set('X-Request-Id', requestId);
  if (body) req = req.send(body);
  const res = await req;
  expectContract(res, `${method.toUpperCase()} ${path} ${JSON.stringify(body ?? null).slice(0, 500)}`);
  return { res, requestId };
}

/** How often each command got each answer over the suite ("count 409 quantity_changed"), for its summary line. */
export const answers = new Map<string, number>();

export async function expectAnswer(
  r: Real,
  what: string,
  res: Response,
  requestId: string,
  expected: Expected,
): Promise<void> {
  expect({ what, status: res.status, error: res.body?.error }).toEqual({
    what,
    status: expected.status,
    error: expected.error,
  });
  const answer = `${what.replace(/\(.*/s, '')} ${res.status}${res.body?.error ? ` ${res.body.error}` : ''}`;
  answers.set(answer, (answers.get(answer) ?? 0) + 1);
  const [{ n }] = await r.t.db.query(
    'SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND request_id = $2',
    [r.tenant.id, requestId],
  );
  expect({ what, audited: n > 0 }).toEqual({ what, audited: expected.changes });
}

/**
 * The step's request wrote exactly the movements the model made, per stock row
 * (how many, and their deltas), each with its stock.changed event: a refusal or
 * a no-op none at all.
 */
export async function expectMovements(m: Model, r: Real, what: string): Promise<void> {
  if (r.requestId === undefined) return;
  const rows: ({ item_id: string; warehouse_id: string; announced: number } & Moved)[] = await r.t.db.query(
    `SELECT m.item_id, m.warehouse_id, count(*)::int AS movements, sum(m.on_hand_delta)::int AS on_hand,
            sum(m.reserved_delta)::int AS reserved,
            count(*) FILTER (WHERE EXISTS (
              SELECT 1 FROM event e WHERE e.tenant_id = m.tenant_id AND e.type = 'stock.changed'
                AND e.item_id = m.item_id AND e.warehouse_id = m.warehouse_id AND e.seq = m.seq
                AND e.request_id = m.request_id))::int AS announced
     FROM stock_movement m WHERE m.tenant_id = $1 AND m.request_id = $2 GROUP BY m.item_id, m.warehouse_id`,
    [r.tenant.id, r.requestId],
  );
  const byKey = (list: { key: string }[]) => [...list].sort((a, b) => (a.key < b.key ? -1 : 1));
  const actual = rows.map(({ item_id, warehouse_id, movements, on_hand, reserved, announced }) => ({
    key: `${item_id}/${warehouse_id}`,
    movements,
    on_hand,
    reserved,
    announced,
  }));
  const predicted = [...m.moved].map(([key, moved]) => {
    const [i, w] = parseRowKey(key);
    return { key: `${m.items[i]!.id}/${m.warehouses[w]!.id}`, ...moved, announced: moved.movements };
  });
  expect({ what, movements: byKey(actual) }).toEqual({ what, movements: byKey(predicted) });
}

const sortById = <T extends { id: string }>(list: T[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));

/**
 * Service and model agree on every stock row (quantities, units held by active
 * reservations, movements and stock.changed events), every item, warehouse,
 * reservation and order of the tenant; and the ledger explains every unit.
 */
export async function agree(m: Model, r: Real, after: string): Promise<void> {
  const stock: Record<string, number | string>[] = await r.t.db.query(
    `SELECT s.item_id || '/' || s.warehouse_id AS id, s.on_hand, s.reserved,
            COALESCE((SELECT sum(l.quantity) FROM reservation_line l JOIN reservation x ON x.id = l.reservation_id
                      WHERE l.item_id = s.item_id AND l.warehouse_id = s.warehouse_id AND x.status = 'active'), 0)::int AS held,
            (SELECT count(*)::int FROM stock_movement v WHERE v.item_id = s.item_id AND v.warehouse_id = s.warehouse_id) AS movements,
            (SELECT count(*)::int FROM event e WHERE e.tenant_id = s.tenant_id AND e.type = 'stock.changed'
               AND e.item_id = s.item_id AND e.warehouse_id = s.warehouse_id) AS announced
     FROM stock s WHERE s.tenant_id = $1`,
    [r.tenant.id],
  );
  const tables = async (sql: string) => sortById(await r.t.db.query(sql, [r.tenant.id]));
  const items = await tables('SELECT id, sku, deleted_at IS NOT NULL AS deleted FROM item WHERE tenant_id = $1');
  const warehouses = await tables('SELECT id, priority, active FROM warehouse WHERE tenant_id = $1');
  const reservations = await tables('SELECT id, status FROM reservation WHERE tenant_id = $1');
  const orders = await tables('SELECT id, status FROM orders WHERE tenant_id = $1');

  const modelStock = m.items.flatMap((item) =>
    [...item.rows].map(([w, row]) => ({
      id: `${item.id}/${m.warehouses[w]!.id}`,
      on_hand: row.onHand,
      reserved: row.reserved,
      held: row.reserved,
      movements: row.movements,
      announced: row.movements,
    })),
  );
  expect({ after, stock: sortById(stock as { id: string }[]) }).toEqual({
    after,
    stock: sortById(modelStock),
  });
  expect({ after, items }).toEqual({
    after,
    items: sortById(m.items.map((i) => ({ id: i.id, sku: i.sku, deleted: i.deleted }))),
  });
  expect({ after, warehouses }).toEqual({
    after,
    warehouses: sortById(m.warehouses.map(({ id, priority, active }) => ({ id, priority, active }))),
  });
  expect({ after, reservations }).toEqual({
    after,
    reservations: sortById(m.reservations.map((x) => ({ id: x.id, status: x.status }))),
  });
  expect({ after, orders }).toEqual({ after, orders: sortById(m.orders.map((o) => ({ id: o.id, status: o.status }))) });
  expect({ after, ledger: (await checkLedger(r.t.db.manager, r.tenant.id)).problems }).toEqual({ after, ledger: [] });
}
