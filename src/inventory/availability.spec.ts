import { describe, expect, it } from '@jest/globals';
import { availabilityOf, unknownRefs } from './availability.js';
import type { ItemView } from './item.repository.js';

const view: ItemView = {
  id: 'a0000000-0000-4000-8000-000000000001',
  sku: 'APPLE-1',
  name: 'apple',
  description: null,
  qty: 7,
  reserved: 3,
  available: 4,
  reorder_point: null,
  low_stock: false,
  stock: [
    { warehouse_id: 'w1', warehouse_code: 'A', on_hand: 5, reserved: 3, available: 2 },
    { warehouse_id: 'w2', warehouse_code: 'B', on_hand: 2, reserved: 0, available: 2 },
  ],
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
};

describe('availability', () => {
  it('totals and per warehouse, from the item view', () => {
    expect(availabilityOf(view)).toEqual({
      item_id: view.id,
      sku: 'APPLE-1',
      on_hand: 7,
      reserved: 3,
      available: 4,
      warehouses: view.stock,
    });
  });

  it('lists every ref that found nothing, with its index and how it named the item', () => {
    const refs = [{ id: view.id }, { id: 'b0000000-0000-4000-8000-000000000002' }, { sku: 'NOPE' }];
    expect(unknownRefs(refs, [view, undefined, undefined])).toEqual([
      {
        field: 'items.1.item_id',
        message: 'unknown item_id b0000000-0000-4000-8000-000000000002',
        item_id: 'b0000000-0000-4000-8000-000000000002',
      },
      { field: 'items.2.sku', message: 'unknown sku NOPE', sku: 'NOPE' },
    ]);
    expect(unknownRefs(refs.slice(0, 1), [view])).toEqual([]);
  });
});
