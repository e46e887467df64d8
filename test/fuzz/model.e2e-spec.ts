import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { newTenant, type TestTenant } from '../support/fixtures.js';
import { ALLOWED, type OrderStatus } from '../support/orders.js';
import { lapse, reservationStatus, sweep } from '../support/reservations.js';
import { sleep } from '../support/util.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { checkLedger } from '../../src/ledger/ledger-check.js';
import { announceSeed, expectContract, FUZZ_SEED, propertyTimeout } from './support/fuzz-kit.js';

// Model-based test: random sequences of operations run against the real service
// and against a few lines of in-memory bookkeeping; after every step both must
// agree on every quantity (on_hand, reserved per item) and every status, each
// answer must be the one the model predicts (status code and error code), and a
// change must come with its audit rows (a refusal or a no-op with none).
//
// One warehouse (the tenant's default), so the model needs no allocation rules.
// Expiry is forced: the reservation's expires_at is moved into the past with SQL
// and the sweeper runs. sweep() is global and other suites run in parallel, so
// the model only looks at its own tenant, and waits for a hold that another
// process's sweep may be expiring at that moment.

const RUNS = Number(process.env.MODEL_RUNS ?? 30);
const MAX_COMMANDS = Number(process.env.MODEL_MAX_COMMANDS ?? 25);

type ResStatus = 'active' | 'released' | 'expired' | 'committed';

interface ItemM {
  id: string;
  onHand: number;
  reserved: number;
  deleted: boolean;
  price: number;
}
interface ResM {
  id: string;
  status: ResStatus;
  /** item index -> units */
  lines: Map<number, number>;
  order?: number;
}
interface OrderM {
  id: string;
  status: OrderStatus;
  res: number;
}
interface Model {
  items: ItemM[];
  reservations: ResM[];
  orders: OrderM[];
}
interface Real {
  t: TestApp;
  tenant: TestTenant;
}

/** What the model predicts for a request: status, error code, and whether anything changes (audit rows). */
interface Expected {
  status: number;
  error?: string;
  changes: boolean;
}

async function send(
  r: Real,
  method: 'post' | 'patch' | 'delete',
  path: string,
  body?: object,
): Promise<{ res: Response; requestId: string }> {
  const requestId = `model-${randomUUID()}`;
  let req = r.t.http[method](path).set(r.tenant.auth).set('X-Request-Id', requestId);
  if (body) req = req.send(body);
  const res = await req;
  expectContract(res, `${method.toUpperCase()} ${path}`);
  return { res, requestId };
}

async function expectAnswer(
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
  const [{ n }] = await r.t.db.query(
    'SELECT count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND request_id = $2',
    [r.tenant.id, requestId],
  );
  expect({ what, audited: n > 0 }).toEqual({ what, audited: expected.changes });
  if (!expected.changes) {
    const [{ moved }] = await r.t.db.query(
      'SELECT count(*)::int AS moved FROM stock_movement WHERE tenant_id = $1 AND request_id = $2',
      [r.tenant.id, requestId],
    );
    expect({ what, moved }).toEqual({ what, moved: 0 });
  }
}

/** Units per item the lines ask for; undefined when a line names a deleted item. */
function demand(m: Model, lines: [number, number][]): Map<number, number> {
  const d = new Map<number, number>();
  for (const [i, q] of lines) d.set(i, (d.get(i) ?? 0) + q);
  return d;
}

/** The expected answer to reserving `lines` (also what an order from lines gets). */
function reserveOutcome(m: Model, d: Map<number, number>): Expected {
  if ([...d.keys()].some((i) => m.items[i]!.deleted)) return { status: 404, error: 'not_found', changes: false };
  if ([...d].some(([i, q]) => m.items[i]!.onHand - m.items[i]!.reserved < q))
    return { status: 400, error: 'insufficient_stock', changes: false };
  return { status: 201, changes: true };
}

function hold(m: Model, d: Map<number, number>, order?: number): number {
  for (const [i, q] of d) m.items[i]!.reserved += q;
  m.reservations.push({ id: '', status: 'active', lines: new Map(d), ...(order !== undefined ? { order } : {}) });
  return m.reservations.length - 1;
}

function unhold(m: Model, res: ResM, alsoOnHand: boolean): void {
  for (const [i, q] of res.lines) {
    m.items[i]!.reserved -= q;
    if (alsoOnHand) m.items[i]!.onHand -= q;
  }
}

const linesArb = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 2 });
const pick = <T>(list: T[], n: number) => ({ index: n % list.length, value: list[n % list.length]! });

class CreateItem implements fc.AsyncCommand<Model, Real> {
  constructor(readonly qty: number) {}
  check = (m: Readonly<Model>) => m.items.length < 5;
  async run(m: Model, r: Real) {
    const { res, requestId } = await send(r, 'post', '/api/items', { name: `model-${randomUUID()}`, qty: this.qty });
    await expectAnswer(r, this.toString(), res, requestId, { status: 201, changes: true });
    m.items.push({ id: res.body.data.id, onHand: this.qty, reserved: 0, deleted: false, price: 100 + m.items.length });
  }
  toString = () => `createItem(qty ${this.qty})`;
}

class Adjust implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly n: number,
    readonly delta: number,
  ) {}
  check = (m: Readonly<Model>) => m.items.length > 0;
  async run(m: Model, r: Real) {
    const { index, value: item } = pick(m.items, this.n);
    const expected: Expected = item.deleted
      ? { status: 404, error: 'not_found', changes: false }
      : this.delta < 0 && item.onHand - item.reserved + this.delta < 0
        ? { status: 400, error: 'insufficient_stock', changes: false }
        : { status: 200, changes: this.delta !== 0 };
    const { res, requestId } = await send(r, 'patch', `/api/items/${item.id}/qty`, { delta: this.delta });
    await expectAnswer(r, `${this.toString()} on item ${index}`, res, requestId, expected);
    if (expected.status === 200) item.onHand += this.delta;
  }
  toString = () => `adjust(item #${this.n}, ${this.delta})`;
}

class Reserve implements fc.AsyncCommand<Model, Real> {
  constructor(readonly lines: [number, number][]) {}
  check = (m: Readonly<Model>) => m.items.length > 0;
  async run(m: Model, r: Real) {
    const lines = this.lines.map(([n, q]) => [n % m.items.length, q] as [number, number]);
    const d = demand(m, lines);
    const expected = reserveOutcome(m, d);
    const body = { lines: lines.map(([i, q]) => ({ item_id: m.items[i]!.id, quantity: q })) };
    const { res, requestId } = await send(r, 'post', '/api/reservations', body);
    await expectAnswer(r, `${this.toString()} -> items ${JSON.stringify(lines)}`, res, requestId, expected);
    if (expected.status === 201) m.reservations[hold(m, d)]!.id = res.body.data.id;
  }
  toString = () => `reserve(${JSON.stringify(this.lines)})`;
}

class Release implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check = (m: Readonly<Model>) => m.reservations.length > 0;
  async run(m: Model, r: Real) {
    const { index, value: res } = pick(m.reservations, this.n);
    const expected: Expected =
      res.status === 'committed' || res.order !== undefined
        ? { status: 400, error: 'invalid_transition', changes: false }
        : { status: 200, changes: res.status === 'active' };
    const { res: answer, requestId } = await send(r, 'post', `/api/reservations/${res.id}/release`);
    await expectAnswer(r, `${this.toString()} of reservation ${index} (${res.status})`, answer, requestId, expected);
    if (expected.changes) {
      unhold(m, res, false);
      res.status = 'released';
    }
    if (expected.status === 200) expect(answer.body.data.status).toBe(res.status);
  }
  toString = () => `release(reservation #${this.n})`;
}

class Expire implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check = (m: Readonly<Model>) => m.reservations.length > 0;
  async run(m: Model, r: Real) {
    const { value: res } = pick(m.reservations, this.n);
    await lapse(r.t, res.id);
    await sweep(r.t);
    if (res.status !== 'active') return;
    // Another suite's sweep may hold this reservation (SKIP LOCKED) and commit a moment later.
    for (let i = 0; i < 50; i++) {
      if ((await reservationStatus(r.t, res.id)) !== 'active') break;
      await sleep(100);
      await sweep(r.t);
    }
    unhold(m, res, false);
    res.status = 'expired';
    if (res.order !== undefined && m.orders[res.order]!.status === 'pending') m.orders[res.order]!.status = 'cancelled';
  }
  toString = () => `expire(reservation #${this.n})`;
}

class OrderFromLines implements fc.AsyncCommand<Model, Real> {
  constructor(readonly lines: [number, number][]) {}
  check = (m: Readonly<Model>) => m.items.length > 0;
  async run(m: Model, r: Real) {
    const lines = this.lines.map(([n, q]) => [n % m.items.length, q] as [number, number]);
    const d = demand(m, lines);
    const expected = reserveOutcome(m, d);
    const body = {
      currency: 'EUR',
      lines: lines.map(([i, q]) => ({ item_id: m.items[i]!.id, quantity: q, unit_price: m.items[i]!.price })),
    };
    const { res, requestId } = await send(r, 'post', '/api/orders', body);
    await expectAnswer(r, `${this.toString()} -> items ${JSON.stringify(lines)}`, res, requestId, expected);
    if (expected.status !== 201) return;
    const ri = hold(m, d, m.orders.length);
    m.reservations[ri]!.id = res.body.data.reservation_id;
    m.orders.push({ id: res.body.data.id, status: 'pending', res: ri });
    const total = [...d].reduce((sum, [i, q]) => sum + q * m.items[i]!.price, 0);
    expect(res.body.data).toMatchObject({ status: 'pending', total_amount: total });
  }
  toString = () => `orderFromLines(${JSON.stringify(this.lines)})`;
}

class OrderFromReservation implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check = (m: Readonly<Model>) => m.reservations.length > 0;
  async run(m: Model, r: Real) {
    const { index, value: res } = pick(m.reservations, this.n);
    const expected: Expected =
      res.status === 'expired'
        ? { status: 400, error: 'reservation_expired', changes: false }
        : res.status !== 'active'
          ? { status: 400, error: 'invalid_transition', changes: false }
          : res.order !== undefined
            ? { status: 400, error: 'reservation_in_use', changes: false }
            : { status: 201, changes: true };
    const prices = [...res.lines.keys()].map((i) => ({ item_id: m.items[i]!.id, unit_price: m.items[i]!.price }));
    const { res: answer, requestId } = await send(r, 'post', '/api/orders', {
      currency: 'EUR',
      reservation_id: res.id,
      prices,
    });
    await expectAnswer(r, `${this.toString()} of reservation ${index} (${res.status})`, answer, requestId, expected);
    if (expected.status !== 201) return;
    res.order = m.orders.length;
    m.orders.push({ id: answer.body.data.id, status: 'pending', res: index });
  }
  toString = () => `orderFromReservation(reservation #${this.n})`;
}

class Transition implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly n: number,
    readonly to: OrderStatus,
  ) {}
  check = (m: Readonly<Model>) => m.orders.length > 0;
  async run(m: Model, r: Real) {
    const { index, value: order } = pick(m.orders, this.n);
    const allowed = ALLOWED[order.status].includes(this.to);
    const expected: Expected = allowed
      ? { status: 200, changes: true }
      : { status: 400, error: 'invalid_transition', changes: false };
    const { res, requestId } = await send(r, 'post', `/api/orders/${order.id}/transitions`, { to: this.to });
    await expectAnswer(r, `${this.toString()} of order ${index} (${order.status})`, res, requestId, expected);
    if (!allowed) return;
    const hold = m.reservations[order.res]!;
    const effect = `${order.status}->${this.to}`;
    if (effect === 'pending->confirmed') {
      unhold(m, hold, true);
      hold.status = 'committed';
    } else if (effect === 'pending->cancelled') {
      unhold(m, hold, false);
      hold.status = 'released';
    } else if (effect === 'confirmed->cancelled') {
      for (const [i, q] of hold.lines) m.items[i]!.onHand += q;
    }
    order.status = this.to;
    expect(res.body.data.status).toBe(this.to);
  }
  toString = () => `transition(order #${this.n} -> ${this.to})`;
}

class DeleteItem implements fc.AsyncCommand<Model, Real> {
  constructor(readonly n: number) {}
  check = (m: Readonly<Model>) => m.items.length > 0;
  async run(m: Model, r: Real) {
    const { index, value: item } = pick(m.items, this.n);
    // Units held, or out on orders that a cancel could still put back, keep an item.
    const out = outstanding(m, index);
    const expected: Expected = item.deleted
      ? { status: 204, changes: false }
      : item.reserved > 0 || out > 0
        ? { status: 400, error: 'item_in_use', changes: false }
        : { status: 204, changes: true };
    const { res, requestId } = await send(r, 'delete', `/api/items/${item.id}`);
    await expectAnswer(
      r,
      `${this.toString()} of item ${index} (reserved ${item.reserved}, outstanding ${out})`,
      res,
      requestId,
      expected,
    );
    if (expected.status === 204) item.deleted = true;
  }
  toString = () => `deleteItem(item #${this.n})`;
}

/** Units of item `i` on confirmed or processing orders: what cancelling them could still restock. */
function outstanding(m: Model, i: number): number {
  return m.orders
    .filter((o) => o.status === 'confirmed' || o.status === 'processing')
    .reduce((sum, o) => sum + (m.reservations[o.res]!.lines.get(i) ?? 0), 0);
}

/** Service and model agree on every quantity and status of the tenant. */
async function agree(m: Model, r: Real, after: string): Promise<void> {
  const stock: { item_id: string; on_hand: number; reserved: number; held: number }[] = await r.t.db.query(
    `SELECT s.item_id, s.on_hand, s.reserved,
            COALESCE((SELECT sum(l.quantity) FROM reservation_line l JOIN reservation x ON x.id = l.reservation_id
                      WHERE l.item_id = s.item_id AND l.warehouse_id = s.warehouse_id AND x.status = 'active'), 0)::int AS held
     FROM stock s WHERE s.tenant_id = $1`,
    [r.tenant.id],
  );
  const items: { id: string; deleted: boolean }[] = await r.t.db.query(
    'SELECT id, deleted_at IS NOT NULL AS deleted FROM item WHERE tenant_id = $1',
    [r.tenant.id],
  );
  const reservations: { id: string; status: string }[] = await r.t.db.query(
    'SELECT id, status FROM reservation WHERE tenant_id = $1',
    [r.tenant.id],
  );
  const orders: { id: string; status: string }[] = await r.t.db.query(
    'SELECT id, status FROM orders WHERE tenant_id = $1',
    [r.tenant.id],
  );

  const sortById = <T extends { id: string }>(list: T[]) => [...list].sort((a, b) => (a.id < b.id ? -1 : 1));
  expect({
    after,
    stock: sortById(stock.map((s) => ({ id: s.item_id, on_hand: s.on_hand, reserved: s.reserved, held: s.held }))),
  }).toEqual({
    after,
    stock: sortById(m.items.map((i) => ({ id: i.id, on_hand: i.onHand, reserved: i.reserved, held: i.reserved }))),
  });
  expect({ after, items: sortById(items) }).toEqual({
    after,
    items: sortById(m.items.map((i) => ({ id: i.id, deleted: i.deleted }))),
  });
  expect({ after, reservations: sortById(reservations) }).toEqual({
    after,
    reservations: sortById(m.reservations.map((x) => ({ id: x.id, status: x.status }))),
  });
  expect({ after, orders: sortById(orders) }).toEqual({
    after,
    orders: sortById(m.orders.map((o) => ({ id: o.id, status: o.status }))),
  });
  // The ledger explains every unit after every step.
  expect({ after, ledger: (await checkLedger(r.t.db.manager, r.tenant.id)).problems }).toEqual({ after, ledger: [] });
}

let executed = 0;

/** Runs the command, then compares service and model. */
class Checked implements fc.AsyncCommand<Model, Real> {
  constructor(readonly inner: fc.AsyncCommand<Model, Real>) {}
  check = (m: Readonly<Model>) => this.inner.check(m);
  async run(m: Model, r: Real) {
    executed++;
    await this.inner.run(m, r);
    await agree(m, r, this.inner.toString());
  }
  toString = () => this.inner.toString();
}

describe('model-based: random operation sequences agree with an in-memory model', () => {
  let t: TestApp;
  let runs = 0;

  beforeAll(async () => {
    announceSeed();
    // No cron of its own: this suite expires holds itself (other suites' crons may still sweep).
    t = await startTestApp({ ENABLE_CRON: 'false' });
  });
  afterAll(async () => {
    console.log(`[model] runs ${runs}, commands run ${executed} (seed ${FUZZ_SEED})`);
    await t.close();
  });

  it(
    `${RUNS} runs of up to ${MAX_COMMANDS} commands`,
    async () => {
      const statuses: OrderStatus[] = ['confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'pending'];
      const commands = [
        fc.integer({ min: 0, max: 12 }).map((q) => new CreateItem(q)),
        fc.tuple(fc.nat(), fc.integer({ min: -8, max: 8 })).map(([n, d]) => new Adjust(n, d)),
        linesArb.map((l) => new Reserve(l)),
        linesArb.map((l) => new Reserve(l)),
        fc.nat().map((n) => new Release(n)),
        fc.nat().map((n) => new Expire(n)),
        linesArb.map((l) => new OrderFromLines(l)),
        fc.nat().map((n) => new OrderFromReservation(n)),
        fc.tuple(fc.nat(), fc.constantFrom(...statuses)).map(([n, to]) => new Transition(n, to)),
        fc.tuple(fc.nat(), fc.constantFrom(...statuses)).map(([n, to]) => new Transition(n, to)),
        fc.nat().map((n) => new DeleteItem(n)),
      ].map((arb) => arb.map((c) => new Checked(c) as fc.AsyncCommand<Model, Real>));

      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: MAX_COMMANDS, size: 'max' }), async (cmds) => {
          runs++;
          const tenant = await newTenant(t);
          await fc.asyncModelRun(async () => {
            const model: Model = { items: [], reservations: [], orders: [] };
            const real: Real = { t, tenant };
            // Every run starts with two items, so most commands have something to act on.
            for (const qty of [6, 3]) await new Checked(new CreateItem(qty)).run(model, real);
            return { model, real };
          }, cmds);
        }),
        { seed: FUZZ_SEED, numRuns: RUNS },
      );
    },
    propertyTimeout(RUNS, 3_000),
  );
});
