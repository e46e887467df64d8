import type { StockKey } from '../inventory/stock.repository.js';

/** Every kind of change of a stock row's on_hand or reserved (the CHECK of stock_movement.type lists the same). */
export const MOVEMENT_TYPES = [
  'opening',
  'received',
  'adjusted',
  'counted',
  'damaged',
  'transferred_out',
  'transferred_in',
  'reserved',
  'released',
  'expired',
  'committed',
  'restocked',
] as const;

export type MovementType = (typeof MOVEMENT_TYPES)[number];

/** The types a caller may give an adjustment by delta; the others are what holds, orders, counts and transfers write. */
export const ADJUSTMENT_TYPES = ['received', 'adjusted', 'damaged'] as const satisfies readonly MovementType[];
export type AdjustmentType = (typeof ADJUSTMENT_TYPES)[number];

/** What is wrong with an adjustment's type for its delta: units are received in, and damaged ones written off. */
export function adjustmentTypeProblem(type: AdjustmentType, delta: number): string | undefined {
  if (type === 'received' && delta <= 0) return 'a received adjustment adds units: delta must be positive';
  if (type === 'damaged' && delta >= 0) return 'a damaged adjustment writes units off: delta must be negative';
  return undefined;
}

/** Why units moved and on whose behalf: what a movement records beside the numbers. */
export interface MovementNote {
  type: MovementType;
  actor: string;
  request_id: string;
  /** A document the change belongs to: `reservation:<id>`, `order:<id>`, `po:4711`, `count:2026-12-01-A`. */
  reference?: string | null;
  reason?: string | null;
}

/** One change of one stock row: what it adds to on_hand and to reserved (either may be negative), and why. */
export interface Movement extends StockKey, MovementNote {
  on_hand: number;
  reserved: number;
}

/** Movements of held lines: each line's quantity times the signs, with the note each line gets. */
export function movementsOf<L extends StockKey & { quantity: number }>(
  lines: L[],
  signs: { onHand: -1 | 0 | 1; reserved: -1 | 0 | 1 },
  note: (line: L) => MovementNote,
): Movement[] {
  return lines.map((l) => ({
    item_id: l.item_id,
    warehouse_id: l.warehouse_id,
    on_hand: signs.onHand * l.quantity,
    reserved: signs.reserved * l.quantity,
    ...note(l),
  }));
}
