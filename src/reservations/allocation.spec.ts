import { describe, expect, it } from '@jest/globals';
import { allocate, mergeLines, type StockLevel } from './allocation.js';

const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const W1 = '00000000-0000-4000-8000-000000000001';
const W2 = '00000000-0000-4000-8000-000000000002';
const level = (item_id: string, warehouse_id: string, available: number, priority = 0): StockLevel => ({
  item_id,
  warehouse_id,
  available,
  priority,
});

describe('mergeLines', () => {
  it('adds up lines of the same item and warehouse, keeping unassigned lines apart', () => {
    const merged = mergeLines([
      { item_id: A, quantity: 2 },
      { item_id: A, quantity: 3 },
      { item_id: A, quantity: 1, warehouse_id: W1 },
      { item_id: A, quantity: 4, warehouse_id: W1 },
    ]);
    expect(merged).toEqual([
      { item_id: A, quantity: 5 },
      { item_id: A, quantity: 5, warehouse_id: W1 },
    ]);
  });
});

describe('allocate', () => {
  it('passes inactive warehouses over for lines without a warehouse, and counts only active ones as available', () => {
    const stock = [{ ...level(A, W1, 5, -1), active: false }, level(A, W2, 2, 1)];
    expect(allocate([{ item_id: A, quantity: 2 }], stock)).toEqual({
      holds: [{ item_id: A, warehouse_id: W2, quantity: 2 }],
      shortages: [],
    });
    expect(allocate([{ item_id: A, quantity: 3 }], stock).shortages).toEqual([
      { item_id: A, requested: 3, available: 2 },
    ]);
  });

  it('takes a named warehouse as asked', () => {
    const result = allocate([{ item_id: A, quantity: 2, warehouse_id: W2 }], [level(A, W1, 10), level(A, W2, 5)]);
    expect(result).toEqual({ holds: [{ item_id: A, warehouse_id: W2, quantity: 2 }], shortages: [] });
  });

  it('spreads an unassigned line over warehouses in priority order, then by id', () => {
    const result = allocate([{ item_id: A, quantity: 7 }], [level(A, W1, 5, 10), level(A, W2, 4, 0)]);
    expect(result.holds).toEqual([
      { item_id: A, warehouse_id: W2, quantity: 4 },
      { item_id: A, warehouse_id: W1, quantity: 3 },
    ]);
    const tie = allocate([{ item_id: A, quantity: 1 }], [level(A, W2, 5), level(A, W1, 5)]);
    expect(tie.holds).toEqual([{ item_id: A, warehouse_id: W1, quantity: 1 }]);
  });

  it('serves named lines first, then allocates the rest from what is left', () => {
    const result = allocate(
      [
        { item_id: A, quantity: 3 },
        { item_id: A, quantity: 4, warehouse_id: W1 },
      ],
      [level(A, W1, 5), level(A, W2, 2, 1)],
    );
    expect(result.holds).toEqual([
      { item_id: A, warehouse_id: W1, quantity: 5 },
      { item_id: A, warehouse_id: W2, quantity: 2 },
    ]);
  });

  it('is all or nothing and reports every short line', () => {
    const result = allocate(
      [
        { item_id: A, quantity: 2 },
        { item_id: B, quantity: 9 },
        { item_id: B, quantity: 1, warehouse_id: W2 },
      ],
      [level(A, W1, 5), level(B, W1, 3)],
    );
    expect(result.holds).toEqual([]);
    expect(result.shortages).toEqual([
      { item_id: B, warehouse_id: W2, requested: 1, available: 0 },
      { item_id: B, requested: 9, available: 3 },
    ]);
  });

  it('never counts negative availability', () => {
    const result = allocate([{ item_id: A, quantity: 1 }], [level(A, W1, -3), level(A, W2, 1)]);
    expect(result.holds).toEqual([{ item_id: A, warehouse_id: W2, quantity: 1 }]);
  });
});
