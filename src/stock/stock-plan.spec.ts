import { describe, expect, it } from '@jest/globals';
import { MAX_QUANTITY } from '../inventory/quantities.js';
import { stockKey } from '../inventory/stock.repository.js';
import { lineShapeProblems, opOf } from './adjustment-lines.js';
import { refusal } from './stock-outcomes.js';
import {
  improves,
  type PlanLine,
  planStock,
  type RowState,
  rowsShortOfReserved,
  type StockOp,
  withFreed,
} from './stock-plan.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const W1 = '00000000-0000-4000-8000-000000000001';
const W2 = '00000000-0000-4000-8000-000000000002';
const rows = (...r: [string, string, number, number, number?][]) =>
  new Map<string, RowState>(
    r.map(([item_id, warehouse_id, on_hand, reserved, outstanding = 0]) => [
      stockKey({ item_id, warehouse_id }),
      { on_hand, reserved, outstanding },
    ]),
  );
const delta = (d: number, type: 'adjusted' | 'received' | 'damaged' = 'adjusted'): StockOp => ({
  kind: 'delta',
  delta: d,
  type,
});
const count = (on_hand: number, expected_on_hand?: number): StockOp => ({
  kind: 'count',
  on_hand,
  ...(expected_on_hand !== undefined ? { expected_on_hand } : {}),
});
const lines = (...l: [string, string, StockOp][]): PlanLine[] =>
  l.map(([item_id, warehouse_id, op], index) => ({ index, item_id, warehouse_id, op }));

describe('planStock', () => {
  it('applies lines on one row in order, each against what the line before left', () => {
    const plan = planStock(rows([A, W1, 10, 2]), lines([A, W1, delta(-3)], [A, W1, count(20, 7)], [A, W1, delta(5)]));
    expect(plan.failed).toEqual([]);
    expect(plan.applied.map((a) => [a.type, a.delta, a.before.on_hand, a.after.on_hand])).toEqual([
      ['adjusted', -3, 10, 7],
      ['counted', 13, 7, 20],
      ['adjusted', 5, 20, 25],
    ]);
    expect(plan.applied[0]!.after.reserved).toBe(2);
  });

  it('skips a failed line: the next line on its row is decided as if it had not been sent', () => {
    const plan = planStock(rows([A, W1, 5, 0]), lines([A, W1, delta(-6)], [A, W1, count(4, 5)]));
    expect(plan.outcomes.map((o) => o.status)).toEqual(['failed', 'applied']);
    expect(plan.failed[0]!.failure).toEqual({ error: 'insufficient_stock', requested: 6, available: 5 });
  });

  it('removes only available units', () => {
    const plan = planStock(rows([A, W1, 5, 3]), lines([A, W1, delta(-2)], [A, W1, delta(-1)]));
    expect(plan.outcomes.map((o) => o.status)).toEqual(['applied', 'failed']);
    expect(plan.failed[0]!.failure).toEqual({ error: 'insufficient_stock', requested: 1, available: 0 });
  });

  it('refuses a count that no longer matches expected_on_hand, with the current value', () => {
    const plan = planStock(rows([A, W1, 9, 0]), lines([A, W1, count(4, 10)]));
    expect(plan.failed[0]!.failure).toEqual({ error: 'quantity_changed', expected_on_hand: 10, on_hand: 9 });
  });

  it('refuses a count below the reserved units', () => {
    const plan = planStock(rows([A, W1, 9, 3]), lines([A, W1, count(2)], [A, W1, count(3)]));
    expect(plan.failed.map((f) => f.failure)).toEqual([{ error: 'count_below_reserved', counted: 2, reserved: 3 }]);
    expect(plan.applied[0]).toMatchObject({ delta: -6, after: { on_hand: 3, reserved: 3 } });
  });

  it('keeps room for the units out on orders when adding, by delta or by count', () => {
    const r = rows([A, W1, MAX_QUANTITY - 10, 0, 5]);
    const plan = planStock(r, lines([A, W1, delta(5)], [A, W1, delta(1)], [A, W1, count(MAX_QUANTITY)]));
    expect(plan.outcomes.map((o) => o.status)).toEqual(['applied', 'failed', 'failed']);
    expect(plan.failed[0]!.failure).toEqual({
      error: 'quantity_out_of_range',
      on_hand: MAX_QUANTITY - 5,
      delta: 1,
      outstanding: 5,
      max: MAX_QUANTITY,
    });
  });

  it('a count equal to on_hand is applied with no change; rows are not changed by planning', () => {
    const r = rows([A, W1, 4, 0]);
    const plan = planStock(r, lines([A, W1, count(4, 4)]));
    expect(plan.applied[0]).toMatchObject({ delta: 0, type: 'counted' });
    expect(r.get(stockKey({ item_id: A, warehouse_id: W1 }))).toEqual({ on_hand: 4, reserved: 0, outstanding: 0 });
  });
});

describe('lapsed holds', () => {
  it('names the rows where reserved units are what is short, and only those', () => {
    const r = rows([A, W1, 5, 4], [A, W2, 1, 1], [B, W1, 5, 5]);
    const plan = planStock(r, lines([A, W1, delta(-3)], [A, W2, delta(-2)], [B, W1, count(1, 5)], [B, W1, count(1)]));
    // A/W1: 5 on hand covers 3 once holds are gone; A/W2: 1 on hand never covers 2; B/W1: CAS passes, count below.
    expect(rowsShortOfReserved(plan, r)).toEqual([
      { item_id: A, warehouse_id: W1 },
      { item_id: B, warehouse_id: W1 },
    ]);
  });

  it('takes freed units off the rows it has, ignores others; a plan is better with fewer failures', () => {
    const r = rows([A, W1, 5, 4]);
    const before = planStock(r, lines([A, W1, delta(-3)]));
    const freed = withFreed(r, [
      { item_id: A, warehouse_id: W1, quantity: 4 },
      { item_id: B, warehouse_id: W2, quantity: 1 },
    ]);
    const after = planStock(freed, lines([A, W1, delta(-3)]));
    expect(improves(after, before)).toBe(true);
    expect(improves(before, before)).toBe(false);
  });
});

describe('refusal', () => {
  const failedOf = (r: Map<string, RowState>, l: PlanLine[]) => planStock(r, l).failed;

  it('409 quantity_changed when only compare-and-set failed, with each line and its current on_hand', () => {
    const err = refusal(
      failedOf(rows([A, W1, 9, 0], [B, W1, 2, 0]), lines([A, W1, count(4, 10)], [B, W1, count(1, 2)])),
    );
    expect([err.status, err.code]).toEqual([409, 'quantity_changed']);
    expect(err.details).toEqual([
      expect.objectContaining({ index: 0, item_id: A, warehouse_id: W1, expected_on_hand: 10, on_hand: 9 }),
    ]);
  });

  it('the one code when every failing line agrees, batch_failed when they differ; every line listed', () => {
    const r = rows([A, W1, 9, 3]);
    expect(refusal(failedOf(r, lines([A, W1, count(1)]))).code).toBe('count_below_reserved');
    expect(refusal(failedOf(r, lines([A, W1, delta(-7)]))).code).toBe('insufficient_stock');
    const mixed = refusal(failedOf(r, lines([A, W1, delta(-7)], [A, W1, count(1, 8)])));
    expect([mixed.status, mixed.code]).toEqual([400, 'batch_failed']);
    expect(mixed.details?.map((d) => (d as { error: string }).error)).toEqual([
      'insufficient_stock',
      'quantity_changed',
    ]);
  });

  it('unknown references first: 404 with those lines only', () => {
    const failed = [
      ...failedOf(rows([A, W1, 1, 0]), lines([A, W1, delta(-7)])),
      {
        index: 1,
        item_id: B,
        warehouse_id: W1,
        status: 'failed' as const,
        failure: { error: 'not_found' as const, field: 'lines.1.item_id', message: `unknown item_id ${B}` },
      },
    ];
    const err = refusal(failed);
    expect([err.status, err.code]).toEqual([404, 'not_found']);
    expect(err.details).toEqual([expect.objectContaining({ index: 1, field: 'lines.1.item_id' })]);
  });
});

describe('batch lines', () => {
  const line = (fields: object) => ({ item_id: A, warehouse_id: W1, ...fields });

  it('a line is a delta or a count, exactly one, with the fields of its kind', () => {
    expect(lineShapeProblems([line({ delta: 1 }), line({ on_hand: 3, expected_on_hand: 2 })])).toEqual([]);
    expect(lineShapeProblems([line({}), line({ delta: 1, on_hand: 2 })]).map((p) => p.field)).toEqual([
      'lines.0',
      'lines.1',
    ]);
    expect(
      lineShapeProblems([line({ on_hand: 1, type: 'received' }), line({ delta: 1, expected_on_hand: 1 })]),
    ).toEqual([
      expect.objectContaining({ field: 'lines.0.type' }),
      expect.objectContaining({ field: 'lines.1.expected_on_hand' }),
    ]);
  });

  it('a write-off is damaged with a negative delta; received adds', () => {
    expect(
      lineShapeProblems([line({ delta: 2, type: 'damaged' }), line({ delta: -2, type: 'received' })]),
    ).toHaveLength(2);
    expect(opOf(line({ delta: -2, type: 'damaged' }))).toEqual({ kind: 'delta', delta: -2, type: 'damaged' });
    expect(opOf(line({ delta: 3 }))).toEqual({ kind: 'delta', delta: 3, type: 'adjusted' });
    expect(opOf(line({ on_hand: 0 }))).toEqual({ kind: 'count', on_hand: 0 });
  });
});
