import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { newTenant } from '../support/fixtures.js';
import { ALLOWED, type OrderStatus } from '../support/orders.js';
import { lapse, reservationStatus, sweep } from '../support/reservations.js';
import { newWarehouse } from '../support/stock.js';
import { sleep } from '../support/util.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { announceSeed, FUZZ_SEED, propertyTimeout } from './support/fuzz-kit.js';
import {
  agree,
  answers,
  type Expected,
  expectAnswer,
  expectMovements,
  type Real,
  send,
} from './support/model-checks.js';
import {
  allocate,
  availableOf,
  type LineM,
  type Model,
  move,
  outstanding,
  parseRowKey,
  reservedOf,
  type ResM,
} from './support/model-state.js';
import {
  batchArb,
  countArb,
  itemRef,
  patchWarehouseArb,
  refArb,
  transferArb,
  warehouseRef,
} from './support/model-stock-commands.js';

// Model-based test: random sequences of operations run against the real service
// and against an in-memory model (support/model-state.ts); after every step both
// must agree on every stock row (on_hand, reserved, the units active holds have
// there, how many movements and stock.changed events it has), every status and
// every warehouse's priority and active flag; each answer must be the one the
// model predicts (status code and error code); a change must come with its audit
// rows (a refusal or a no-op with none), and with exactly the movements the model
// made, per row, under its request id (a refusal with none); and the ledger must
// explain every unit (checkLedger).
//
// Two warehouses: the default (priority 0) and one more (priority 1); priorities
// and active flags change (PATCH), so allocation follows the contract's rules.
// Lines name items by id or SKU, warehouses by id or code.
// Expiry is forced: the reservation's expires_at is moved into the past with SQL
// and the sweeper runs. sweep() is global and other suites run in parallel, so
// the model only looks at its own tenant, and waits for a hold that another
// process's sweep may be expiring at that moment.

const RUNS = Number(process.env.MODEL_RUNS ?? 30);
const MAX_COMMANDS = Number(process.env.MODEL_MAX_COMMANDS ?? 25);

/** A request line: [item #, units, warehouse # or none, how it names them]. */
type LineArg = [number, number, number | undefined, number];
const linesArb = fc.array(
  fc.tuple(fc.nat(), fc.integer({ min: 1, max: 5 }), fc.constantFrom(undefined, undefined, 0, 1), refArb),
  { minLength: 1, maxLength: 2 },
);
const pick = <T>(list: T[], n: number) => ({ index: n % list.length, value: list[n % list.length]! });

function linesOf(m: Model, args: LineArg[]): LineM[] {
  return args.map(([n, quantity, warehouse]) => ({
    item: n % m.items.length,
    quantity,
    ...(warehouse !== undefined ? { warehouse } : {}),
  }));
}

/** Lines as a request sends them, by ids or by SKU and code. */
function linesBody(m: Model, lines: LineM[], args: LineArg[], extra: (l: LineM) => object = () => ({})) {
  return lines.map((l, k) => ({
    ...itemRef(m, l.item, args[k]![3]),
    quantity: l.quantity,
    ...(l.warehouse !== undefined ? warehouseRef(m, l.warehouse, args[k]![3]) : {}),
    ...extra(l),
  }));
}

/** The expected answer to reserving `lines` (also what an order from lines gets), and the rows it would hold. */
function reserveOutcome(m: Model, lines: LineM[]): { expected: Expected; holds?: Map<string, number> } {
  if (lines.some((l) => m.items[l.item]!.deleted))
    return { expected: { status: 404, error: 'not_found', changes: false } };
  if (lines.some((l) => l.warehouse !== undefined && !m.warehouses[l.warehouse]!.active))
    return { expected: { status: 400, error: 'warehouse_inactive', changes: false } };
  const holds = allocate(m, lines);
  if (!holds) return { expected: { status: 400, error: 'insufficient_stock', changes: false } };
  return { expected: { status: 201, changes: true }, holds };
}

function hold(m: Model, holds: Map<string, number>, order?: number): number {
  for (const [key, q] of holds) move(m, ...parseRowKey(key), 0, q);
  m.reservations.push({ id: '', status: 'active', lines: new Map(holds), ...(order !== undefined ? { order } : {}) });
  return m.reservations.length - 1;
}

/** The hold's units go back (released, expired, committed: with them on hand too). */
function unhold(m: Model, res: ResM, alsoOnHand: boolean): void {
  for (const [key, q] of res.lines) move(m, ...parseRowKey(key), alsoOnHand ? -q : 0, -q);
}

/** The holds of a reservation as the service shows them, and as the model has them. */
function expectHolds(
  m: Model,
  what: string,
  lines: { item_id: string; warehouse_id: string; quantity: number }[],
  holds: Map<string, number>,
) {
  const key = (l: { item_id: string; warehouse_id: string }) => `${l.item_id}/${l.warehouse_id}`;
  const actual = lines.map((l) => ({ row: key(l), quantity: l.quantity })).sort((a, b) => (a.row < b.row ? -1 : 1));
  const predicted = [...holds]
    .map(([k, quantity]) => {
      const [i, w] = parseRowKey(k);
      return { row: key({ item_id: m.items[i]!.id, warehouse_id: m.warehouses[w]!.id }), quantity };
    })
    .sort((a, b) => (a.row < b.row ? -1 : 1));
  expect({ what, holds: actual }).toEqual({ what, holds: predicted });
}

class CreateItem implements fc.AsyncCommand<Model, Real> {
  constructor(readonly qty: number) {}
  check = (m: Readonly<Model>) => m.items.length < 5;
  async run(m: Model, r: Real) {
    const sku = `M-${randomUUID().slice(0, 13).toUpperCase()}`;
    const { res, requestId } = await send(r, 'post', '/api/items', {
      name: `model-${randomUUID()}`,
      sku,
      qty: this.qty,
    });
    await expectAnswer(r, this.toString(), res, requestId, { status: 201, changes: true });
    const item = { id: res.body.data.id, sku, deleted: false, price: 100 + m.items.length, rows: new Map() };
    // The row in the default warehouse exists from the start, its opening movement only for units.
    item.rows.set(0, { onHand: 0, reserved: 0, movements: 0 });
    m.items.push(item);
    move(m, m.items.length - 1, 0, this.qty, 0);
  }
  toString = () => `createItem(qty ${this.qty})`;
}

class Adjust implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly n: number,
    readonly delta: number,
    readonly warehouse?: number,
  ) {}
  check = (m: Readonly<Model>) => m.items.length > 0;
  async run(m: Model, r: Real) {
    const { index, value: item } = pick(m.items, this.n);
    const w = this.warehouse ?? 0;
    const expected: Expected = item.deleted
      ? { status: 404, error: 'not_found', changes: false }
      : this.delta < 0 && availableOf(item.rows.get(w)) + this.delta < 0
        ? { status: 400, error: 'insufficient_stock', changes: false }
        : { status: 200, changes: this.delta !== 0 };
    const body = { delta: this.delta, ...(this.warehouse !== undefined ? warehouseRef(m, w, 0) : {}) };
    const { res, requestId } = await send(r, 'patch', `/api/items/${item.id}/qty`, body);
    await expectAnswer(r, `${this.toString()} on item ${index}`, res, requestId, expected);
    if (expected.status === 200) move(m, index, w, this.delta, 0);
  }
  toString = () => `adjust(item #${this.n}, ${this.delta}, warehouse ${this.warehouse ?? 'default'})`;
}

class Reserve implements fc.AsyncCommand<Model, Real> {
  constructor(readonly lines: LineArg[]) {}
  check = (m: Readonly<Model>) => m.items.length > 0;
  async run(m: Model, r: Real) {
    const lines = linesOf(m, this.lines);
    const { expected, holds } = reserveOutcome(m, lines);
    const body = { lines: linesBody(m, lines, this.lines) };
    const what = `${this.toString()} -> ${JSON.stringify(body)}`;
    const { res, requestId } = await send(r, 'post', '/api/reservations', body);
    await expectAnswer(r, what, res, requestId, expected);
    if (!holds) return;
    expectHolds(m, what, res.body.data.lines, holds);
    m.reservations[hold(m, holds)]!.id = res.body.data.id;
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
  constructor(readonly lines: LineArg[]) {}
  check = (m: Readonly<Model>) => m.items.length > 0;
  async run(m: Model, r: Real) {
    const lines = linesOf(m, this.lines);
    const { expected, holds } = reserveOutcome(m, lines);
    const body = {
      currency: 'EUR',
      lines: linesBody(m, lines, this.lines, (l) => ({ unit_price: m.items[l.item]!.price })),
    };
    const what = `${this.toString()} -> ${JSON.stringify(body)}`;
    const { res, requestId } = await send(r, 'post', '/api/orders', body);
    await expectAnswer(r, what, res, requestId, expected);
    if (!holds) return;
    const ri = hold(m, holds, m.orders.length);
    m.reservations[ri]!.id = res.body.data.reservation_id;
    m.orders.push({ id: res.body.data.id, status: 'pending', res: ri });
    const total = lines.reduce((sum, l) => sum + l.quantity * m.items[l.item]!.price, 0);
    expect({ what, order: res.body.data }).toMatchObject({ what, order: { status: 'pending', total_amount: total } });
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
    const items = [...new Set([...res.lines.keys()].map((k) => parseRowKey(k)[0]))];
    const prices = items.map((i) => ({ item_id: m.items[i]!.id, unit_price: m.items[i]!.price }));
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
    const held = m.reservations[order.res]!;
    const effect = `${order.status}->${this.to}`;
    if (effect === 'pending->confirmed') {
      unhold(m, held, true);
      held.status = 'committed';
    } else if (effect === 'pending->cancelled') {
      unhold(m, held, false);
      held.status = 'released';
    } else if (effect === 'confirmed->cancelled') {
      // Back to the rows they came from, whatever the warehouse's state now.
      for (const [key, q] of held.lines) move(m, ...parseRowKey(key), q, 0);
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
    const reserved = reservedOf(item);
    const expected: Expected = item.deleted
      ? { status: 204, changes: false }
      : reserved > 0 || out > 0
        ? { status: 400, error: 'item_in_use', changes: false }
        : { status: 204, changes: true };
    const { res, requestId } = await send(r, 'delete', `/api/items/${item.id}`);
    const what = `${this.toString()} of item ${index} (reserved ${reserved}, outstanding ${out})`;
    await expectAnswer(r, what, res, requestId, expected);
    if (expected.status === 204) item.deleted = true;
  }
  toString = () => `deleteItem(item #${this.n})`;
}

let executed = 0;

/** Runs the command, then compares service and model: its movements, then everything. */
class Checked implements fc.AsyncCommand<Model, Real> {
  constructor(readonly inner: fc.AsyncCommand<Model, Real>) {}
  check = (m: Readonly<Model>) => this.inner.check(m);
  async run(m: Model, r: Real) {
    executed++;
    m.moved = new Map();
    r.requestId = undefined;
    await this.inner.run(m, r);
    await expectMovements(m, r, this.inner.toString());
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
    const seen = [...answers].sort(([a], [b]) => (a < b ? -1 : 1)).map(([answer, n]) => `${answer} x${n}`);
    console.log(`[model] runs ${runs}, commands run ${executed} (seed ${FUZZ_SEED}); answers: ${seen.join(', ')}`);
    await t.close();
  });

  it(
    `${RUNS} runs of up to ${MAX_COMMANDS} commands`,
    async () => {
      const statuses: OrderStatus[] = ['confirmed', 'processing', 'shipped', 'delivered', 'cancelled', 'pending'];
      const warehouse = fc.option(fc.constantFrom(0, 1), { nil: undefined });
      const commands = [
        fc.integer({ min: 0, max: 12 }).map((q) => new CreateItem(q)),
        fc.tuple(fc.nat(), fc.integer({ min: -8, max: 8 }), warehouse).map(([n, d, w]) => new Adjust(n, d, w)),
        linesArb.map((l) => new Reserve(l)),
        linesArb.map((l) => new Reserve(l)),
        fc.nat().map((n) => new Release(n)),
        fc.nat().map((n) => new Expire(n)),
        linesArb.map((l) => new OrderFromLines(l)),
        fc.nat().map((n) => new OrderFromReservation(n)),
        fc.tuple(fc.nat(), fc.constantFrom(...statuses)).map(([n, to]) => new Transition(n, to)),
        fc.tuple(fc.nat(), fc.constantFrom(...statuses)).map(([n, to]) => new Transition(n, to)),
        fc.nat().map((n) => new DeleteItem(n)),
        countArb,
        countArb,
        transferArb,
        batchArb,
        batchArb,
        patchWarehouseArb,
      ].map((arb) => arb.map((c) => new Checked(c) as fc.AsyncCommand<Model, Real>));

      await fc.assert(
        fc.asyncProperty(fc.commands(commands, { maxCommands: MAX_COMMANDS, size: 'max' }), async (cmds) => {
          runs++;
          const tenant = await newTenant(t);
          const second = await newWarehouse(t, tenant, { priority: 1 });
          await fc.asyncModelRun(async () => {
            const model: Model = {
              items: [],
              warehouses: [
                { id: tenant.defaultWarehouseId, code: 'default', priority: 0, active: true },
                { id: second.id, code: second.code, priority: 1, active: true },
              ],
              reservations: [],
              orders: [],
              moved: new Map(),
            };
            const real: Real = { t, tenant };
            // Every run starts with two items with stock in both warehouses, so most commands have something to act on.
            for (const [qty, more] of [
              [6, 4],
              [3, 2],
            ] as const) {
              await new Checked(new CreateItem(qty)).run(model, real);
              await new Checked(new Adjust(model.items.length - 1, more, 1)).run(model, real);
            }
            return { model, real };
          }, cmds);
        }),
        { seed: FUZZ_SEED, numRuns: RUNS },
      );
    },
    propertyTimeout(RUNS, 4_000),
  );
});
