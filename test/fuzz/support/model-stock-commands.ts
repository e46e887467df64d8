import { expect } from '@jest/globals';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { type Expected, expectAnswer, type Real, send } from './model-checks.js';
import {
  applyLines,
  availableOf,
  type LineOutcomeM,
  type Model,
  move,
  planLines,
  refusalOf,
  type StockLineM,
} from './model-state.js';

// The model-based suite's commands for the stock operations: counts (with and
// without compare-and-set), transfers between the two warehouses, batches of
// deltas and counts (all or nothing, or per line), and taking a warehouse out
// of allocation (or back in, or reordering it).

/** How a line names things: bit 0 the item by SKU, bit 1 the warehouse by code (else by ids). */
export type RefBits = number;

export function itemRef(m: Model, item: number, ref: RefBits) {
  const it = m.items[item]!;
  return ref & 1 ? { sku: it.sku } : { item_id: it.id };
}

/** A warehouse as a line names it, by id or by code; 'unknown' is none of the tenant's. */
export function warehouseRef(m: Model, w: number | 'unknown', ref: RefBits, prefix = '') {
  if (w === 'unknown')
    return ref & 2 ? { [`${prefix}warehouse_code`]: 'NO-SUCH-WH' } : { [`${prefix}warehouse_id`]: randomUUID() };
  const wh = m.warehouses[w]!;
  return ref & 2 ? { [`${prefix}warehouse_code`]: wh.code } : { [`${prefix}warehouse_id`]: wh.id };
}

export const warehouseArb = fc.oneof(
  { weight: 14, arbitrary: fc.constantFrom<number | 'unknown'>(0, 1) },
  { weight: 1, arbitrary: fc.constant<'unknown'>('unknown') },
);
export const refArb = fc.nat(3);
/** Counted values: small ones often, so that counts below what is reserved come up. */
const countedArb = fc.oneof(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 12 }));

/** 0: no expected_on_hand; 1: the value on_hand had before the request; 2: another one (stale). */
type ExpectKind = 0 | 1 | 2;
const expectKindArb = fc.constantFrom<ExpectKind>(0, 1, 2);

function countOp(m: Model, item: number, w: number | 'unknown', onHand: number, kind: ExpectKind) {
  const before = w === 'unknown' ? 0 : (m.items[item]!.rows.get(w)?.onHand ?? 0);
  const expected = kind === 0 ? undefined : kind === 1 ? before : before + 1 + (onHand % 3);
  return { kind: 'count' as const, onHand, ...(expected !== undefined ? { expected } : {}) };
}

function lineBody(m: Model, line: StockLineM, ref: RefBits) {
  const { op } = line;
  const what =
    op.kind === 'count'
      ? { on_hand: op.onHand, ...(op.expected !== undefined ? { expected_on_hand: op.expected } : {}) }
      : { delta: op.delta, ...(op.delta !== 0 && ref & 1 ? { type: op.delta > 0 ? 'received' : 'damaged' } : {}) };
  return { ...itemRef(m, line.item, ref), ...warehouseRef(m, line.warehouse, ref), ...what };
}

/** The answer to a count or batch the model planned, and the plan into the model when it is applied. */
async function expectPlan(
  m: Model,
  r: Real,
  what: string,
  lines: StockLineM[],
  outcomes: LineOutcomeM[],
  perLine: boolean,
  answer: { res: Response; requestId: string },
) {
  const failed = outcomes.filter((o) => o.status === 'failed');
  const wrote = outcomes.some((o) => o.status === 'applied' && (o.delta !== 0 || o.counted));
  const expected: Expected =
    failed.length > 0 && !perLine ? { ...refusalOf(failed), changes: false } : { status: 200, changes: wrote };
  const { res, requestId } = answer;
  await expectAnswer(r, what, res, requestId, expected);
  if (expected.status === 200) {
    const result = (l: Record<string, unknown>) =>
      l.status === 'applied'
        ? { index: l.index, status: l.status, delta: l.delta, on_hand: l.on_hand }
        : { index: l.index, status: l.status, error: l.error };
    const predicted = outcomes.map((o) =>
      o.status === 'applied'
        ? { index: o.index, status: o.status, delta: o.delta, on_hand: o.onHand }
        : { index: o.index, status: o.status, error: o.error },
    );
    expect({ what, applied: res.body.data.applied, lines: res.body.data.lines.map(result) }).toEqual({
      what,
      applied: outcomes.length - failed.length,
      lines: predicted,
    });
    applyLines(m, lines, outcomes);
  } else if (expected.status !== 404) {
    // Every failing line, each with its own reason (a 404 lists only the lines naming unknown things).
    const details = (res.body.details as { index: number; error: string }[]).map(({ index, error }) => ({
      index,
      error,
    }));
    expect({ what, details }).toEqual({ what, details: failed.map(({ index, error }) => ({ index, error })) });
  }
}

type CountArg = [n: number, w: number | 'unknown', onHand: number, kind: ExpectKind, ref: RefBits];
export class Count implements fc.AsyncCommand<Model, Real> {
  constructor(readonly lines: CountArg[]) {}
  check = (m: Readonly<Model>) => m.items.length > 0;
  async run(m: Model, r: Real) {
    const lines: StockLineM[] = this.lines.map(([n, w, onHand, kind]) => {
      const item = n % m.items.length;
      return { item, warehouse: w, op: countOp(m, item, w, onHand, kind) };
    });
    const outcomes = planLines(m, lines);
    const body = { lines: lines.map((l, k) => lineBody(m, l, this.lines[k]![4])), reference: 'count:model' };
    const answer = await send(r, 'post', '/api/stock/counts', body);
    await expectPlan(m, r, `${this.toString()} -> ${JSON.stringify(body)}`, lines, outcomes, false, answer);
  }
  toString = () => `count(${JSON.stringify(this.lines)})`;
}

type BatchArg = [n: number, w: number | 'unknown', count: boolean, value: number, kind: ExpectKind, ref: RefBits];
export class Batch implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly lines: BatchArg[],
    readonly mode: 'all_or_nothing' | 'per_line' | undefined,
  ) {}
  check = (m: Readonly<Model>) => m.items.length > 0;
  async run(m: Model, r: Real) {
    const lines: StockLineM[] = this.lines.map(([n, w, count, value, kind]) => {
      const item = n % m.items.length;
      const op = count ? countOp(m, item, w, Math.abs(value), kind) : { kind: 'delta' as const, delta: value };
      return { item, warehouse: w, op };
    });
    const outcomes = planLines(m, lines);
    const body = {
      lines: lines.map((l, k) => lineBody(m, l, this.lines[k]![5])),
      reference: 'batch:model',
      ...(this.mode ? { mode: this.mode } : {}),
    };
    const answer = await send(r, 'post', '/api/stock/adjustments', body);
    const what = `${this.toString()} -> ${JSON.stringify(body)}`;
    await expectPlan(m, r, what, lines, outcomes, this.mode === 'per_line', answer);
  }
  toString = () => `batch(${this.mode ?? 'default'}, ${JSON.stringify(this.lines)})`;
}

export class Transfer implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly n: number,
    readonly from: number,
    readonly quantity: number,
    /** bit 0: item by SKU; bit 1: from by code; bit 2: to by code */
    readonly ref: number,
    readonly same: boolean,
  ) {}
  check = (m: Readonly<Model>) => m.items.length > 0;
  async run(m: Model, r: Real) {
    const item = this.n % m.items.length;
    const to = this.same ? this.from : 1 - this.from;
    const it = m.items[item]!;
    const byCode = (bit: number) => (this.ref & bit ? 2 : 0);
    const mixed = byCode(2) !== byCode(4);
    // Visible in the request itself: refused before anything is looked up; else references resolve first.
    const expected: Expected =
      this.same && !(mixed && it.deleted && this.ref & 1)
        ? { status: 400, error: 'validation_failed', changes: false }
        : it.deleted
          ? { status: 404, error: 'not_found', changes: false }
          : availableOf(it.rows.get(this.from)) < this.quantity
            ? { status: 400, error: 'insufficient_stock', changes: false }
            : { status: 200, changes: true };
    const body = {
      ...itemRef(m, item, this.ref),
      ...warehouseRef(m, this.from, byCode(2), 'from_'),
      ...warehouseRef(m, to, byCode(4), 'to_'),
      quantity: this.quantity,
    };
    const { res, requestId } = await send(r, 'post', '/api/stock/transfers', body);
    await expectAnswer(r, `${this.toString()} -> ${JSON.stringify(body)}`, res, requestId, expected);
    if (expected.status !== 200) return;
    move(m, item, this.from, -this.quantity, 0);
    move(m, item, to, this.quantity, 0);
    expect({ from: res.body.data.from.on_hand, to: res.body.data.to.on_hand }).toEqual({
      from: it.rows.get(this.from)!.onHand,
      to: it.rows.get(to)!.onHand,
    });
  }
  toString = () => `transfer(item #${this.n}, ${this.from} -> ${this.same ? 'same' : 'other'}, ${this.quantity})`;
}

export class PatchWarehouse implements fc.AsyncCommand<Model, Real> {
  constructor(
    readonly w: number,
    readonly active: boolean | undefined,
    readonly priority: number | undefined,
  ) {}
  check = () => true;
  async run(m: Model, r: Real) {
    const wh = m.warehouses[this.w]!;
    const active = this.active ?? (this.priority === undefined ? !wh.active : undefined);
    const body = {
      ...(active !== undefined ? { active } : {}),
      ...(this.priority !== undefined ? { priority: this.priority } : {}),
    };
    const changes = (active !== undefined && active !== wh.active) || (this.priority ?? wh.priority) !== wh.priority;
    const { res, requestId } = await send(r, 'patch', `/api/warehouses/${wh.id}`, body);
    await expectAnswer(r, `${this.toString()} -> ${JSON.stringify(body)}`, res, requestId, { status: 200, changes });
    wh.active = active ?? wh.active;
    wh.priority = this.priority ?? wh.priority;
    expect({ active: res.body.data.active, priority: res.body.data.priority }).toEqual({
      active: wh.active,
      priority: wh.priority,
    });
  }
  toString = () => `patchWarehouse(#${this.w}, active ${this.active}, priority ${this.priority})`;
}

/** The commands of this file, for fc.commands. */
export const countArb = fc
  .array(fc.tuple(fc.nat(), warehouseArb, countedArb, expectKindArb, refArb), {
    minLength: 1,
    maxLength: 2,
  })
  .map((lines) => new Count(lines));

export const batchArb = fc
  .tuple(
    fc.array(fc.tuple(fc.nat(), warehouseArb, fc.boolean(), fc.integer({ min: -8, max: 12 }), expectKindArb, refArb), {
      minLength: 1,
      maxLength: 4,
    }),
    fc.constantFrom(undefined, 'all_or_nothing' as const, 'per_line' as const, 'per_line' as const),
  )
  .map(([lines, mode]) => new Batch(lines, mode));

export const transferArb = fc
  .tuple(fc.nat(), fc.constantFrom(0, 1), fc.integer({ min: 1, max: 6 }), fc.nat(7), fc.nat(9))
  .map(([n, from, qty, ref, same]) => new Transfer(n, from, qty, ref, same === 0));

export const patchWarehouseArb = fc
  .tuple(
    fc.constantFrom(0, 1),
    fc.option(fc.boolean(), { nil: undefined }),
    fc.option(fc.constantFrom(-1, 0, 0, 1, 1, 2), { nil: undefined }),
  )
  .map(([w, active, priority]) => new PatchWarehouse(w, active, priority));
