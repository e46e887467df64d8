// Request examples of the stock operations, for Swagger (kept here so the controller stays short).
const ITEM = '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11';
const BERLIN = '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60';
const HAMBURG = '1f4c2a9e-7b3d-4c8e-a2f1-6d5e4c3b2a10';

export const COUNT_EXAMPLES = {
  count: {
    summary: 'A shelf counted while sales go on: refused with 409 if a unit left meanwhile',
    value: {
      lines: [{ item_id: ITEM, warehouse_id: BERLIN, on_hand: 47, expected_on_hand: 48 }],
      reference: 'count:2026-12-01-A',
      reason: 'cycle count',
    },
  },
};

export const TRANSFER_EXAMPLES = {
  transfer: {
    summary: 'Move 5 available units from Berlin to Hamburg',
    value: { item_id: ITEM, from_warehouse_id: BERLIN, to_warehouse_id: HAMBURG, quantity: 5, reason: 'rebalance' },
  },
};

export const ADJUSTMENT_EXAMPLES = {
  mixed: {
    summary: 'A delivery, a write-off and a count, all or nothing',
    value: {
      reference: 'po:4711',
      lines: [
        { item_id: ITEM, warehouse_id: BERLIN, delta: 12, type: 'received' },
        { item_id: ITEM, warehouse_id: HAMBURG, delta: -2, type: 'damaged', reason: 'broken in transit' },
        { item_id: ITEM, warehouse_id: HAMBURG, on_hand: 30, expected_on_hand: 32 },
      ],
    },
  },
  perLine: {
    summary: 'A nightly sync that applies what it can and reports the rest',
    value: {
      reference: 'erp-sync:2026-12-01',
      mode: 'per_line',
      lines: [
        { item_id: ITEM, warehouse_id: BERLIN, on_hand: 120 },
        { item_id: ITEM, warehouse_id: HAMBURG, on_hand: 64 },
      ],
    },
  },
};
