import type { OrderStatus } from '../../support/orders.js';

// The in-memory model of one tenant for the model-based suite: items with a
// stock row per warehouse, warehouses with priority and active flag, holds and
// orders; and the rules as the contract states them (allocation by priority,
// batch lines decided in order), written out independently of src/.

export type ResStatus = 'active' | 'released' | 'expired' | 'committed';

/** A stock row: its quantities and how many movements the ledger must hold for it. */
export interface RowM {
  onHand: number;
  reserved: number;
  movements: number;
}
export interface ItemM {
  id: string;
  sku: string;
  deleted: boolean;
  price: number;
  /** warehouse index -> its stock row, for the rows that exist */
  rows: Map<number, RowM>;
}
export interface WarehouseM {
  id: string;
  code: string;
  priority: number;
  active: boolean;
}
export interface ResM {
  id: string;
  status: ResStatus;
  /** rowKey -> units held there */
  lines: Map<string, number>;
  order?: number;
}
export interface OrderM {
  id: string;
  status: OrderStatus;
  res: number;
}
/** What the current step moved, per row: the movements its request id must show. */
export interface Moved {
  movements: number;
  on_hand: number;
  reserved: number;
}
export interface Model {
  items: ItemM[];
  warehouses: WarehouseM[];
  reservations: ResM[];
  orders: OrderM[];
  moved: Map<string, Moved>;
}

export const rowKey = (item: number, warehouse: number) => `${item}:${warehouse}`;
export const parseRowKey = (key: string) => key.split(':').map(Number) as [number, number];
export const availableOf = (row: RowM | undefined) => (row ? row.onHand - row.reserved : 0);
export const reservedOf = (item: ItemM) => [...item.rows.values()].reduce((sum, r) => sum + r.reserved, 0);

/** One movement on a row (created when missing); nothing for a change of nothing. */
export function move(m: Model, item: number, warehouse: number, onHand: number, reserved: number): void {
  if (onHand === 0 && reserved === 0) return;
  const rows = m.items[item]!.rows;
  const row = rows.get(warehouse) ?? { onHand: 0, reserved: 0, movements: 0 };
  rows.set(warehouse, row);
  row.onHand += onHand;
  row.reserved += reserved;
  row.movements++;
  const key = rowKey(item, warehouse);
  const moved = m.moved.get(key) ?? { movements: 0, on_hand: 0, reserved: 0 };
  m.moved.set(key, {
    movements: moved.movements + 1,
    on_hand: moved.on_hand + onHand,
    reserved: moved.reserved + reserved,
  });
}

/** A reservation or order line: an item, units, and maybe the warehouse it must come from. */
export interface LineM {
  item: number;
  quantity: number;
  warehouse?: number;
}

/**
 * The rows a request's lines take their units from (rowKey -> units), or
 * undefined when any line is short: lines for the same item and warehouse (or
 * item and no warehouse) are one; those naming a warehouse take from it first;
 * the others from the item's rows in active warehouses, lower priority first,
 * then by warehouse id.
 */
export function allocate(m: Model, lines: LineM[]): Map<string, number> | undefined {
  const merged = new Map<string, LineM>();
  for (const l of lines) {
    const key = `${l.item}:${l.warehouse ?? '*'}`;
    const seen = merged.get(key);
    if (seen) seen.quantity += l.quantity;
    else merged.set(key, { ...l });
  }
  const left = new Map<string, number>();
  const free = (i: number, w: number) => left.get(rowKey(i, w)) ?? availableOf(m.items[i]!.rows.get(w));
  const holds = new Map<string, number>();
  const take = (i: number, w: number, q: number) => {
    left.set(rowKey(i, w), free(i, w) - q);
    holds.set(rowKey(i, w), (holds.get(rowKey(i, w)) ?? 0) + q);
  };
  let short = false;
  for (const l of [...merged.values()].filter((x) => x.warehouse !== undefined)) {
    if (free(l.item, l.warehouse!) < l.quantity) short = true;
    else take(l.item, l.warehouse!, l.quantity);
  }
  for (const l of [...merged.values()].filter((x) => x.warehouse === undefined)) {
    const order = [...m.items[l.item]!.rows.keys()]
      .filter((w) => m.warehouses[w]!.active)
      .sort((a, b) => {
        const [wa, wb] = [m.warehouses[a]!, m.warehouses[b]!];
        return wa.priority - wb.priority || (wa.id < wb.id ? -1 : 1);
      });
    if (order.reduce((sum, w) => sum + free(l.item, w), 0) < l.quantity) {
      short = true;
      continue;
    }
    let needed = l.quantity;
    for (const w of order) {
      const q = Math.min(free(l.item, w), needed);
      if (q > 0) take(l.item, w, q);
      needed -= q;
    }
  }
  return short ? undefined : holds;
}

/** What a count or batch line does: add or remove units, or set them to a counted value (compare-and-set). */
export type StockOpM = { kind: 'delta'; delta: number } | { kind: 'count'; onHand: number; expected?: number };

/** A count, batch or transfer line; warehouse 'unknown' names none of the tenant's. */
export interface StockLineM {
  item: number;
  warehouse: number | 'unknown';
  op: StockOpM;
}

export type LineOutcomeM =
  | { index: number; status: 'applied'; delta: number; onHand: number; counted: boolean }
  | { index: number; status: 'failed'; error: string };

/**
 * Every line decided in order against the rows as the lines before it left
 * them; a failing line is skipped. The model is not changed (applyLines does).
 */
export function planLines(m: Model, lines: StockLineM[]): LineOutcomeM[] {
  const state = new Map<string, { onHand: number; reserved: number }>();
  return lines.map((line, index): LineOutcomeM => {
    if (line.warehouse === 'unknown' || m.items[line.item]!.deleted)
      return { index, status: 'failed', error: 'not_found' };
    const key = rowKey(line.item, line.warehouse);
    const known = m.items[line.item]!.rows.get(line.warehouse);
    const row = state.get(key) ?? { onHand: known?.onHand ?? 0, reserved: known?.reserved ?? 0 };
    state.set(key, row);
    const { op } = line;
    let delta: number;
    if (op.kind === 'count') {
      if (op.expected !== undefined && op.expected !== row.onHand)
        return { index, status: 'failed', error: 'quantity_changed' };
      if (op.onHand < row.reserved) return { index, status: 'failed', error: 'count_below_reserved' };
      delta = op.onHand - row.onHand;
    } else {
      if (op.delta < 0 && row.onHand - row.reserved + op.delta < 0)
        return { index, status: 'failed', error: 'insufficient_stock' };
      delta = op.delta;
    }
    row.onHand += delta;
    return { index, status: 'applied', delta, onHand: row.onHand, counted: op.kind === 'count' };
  });
}

/** The applied lines of a plan, into the model: one movement per line that changes on_hand. */
export function applyLines(m: Model, lines: StockLineM[], outcomes: LineOutcomeM[]): void {
  for (const o of outcomes) {
    const line = lines[o.index]!;
    if (o.status === 'applied') move(m, line.item, line.warehouse as number, o.delta, 0);
  }
}

/**
 * The answer to a request refused as a whole: not_found when a line names an
 * unknown item or warehouse; else the one code every failing line shares
 * (quantity_changed a 409), or batch_failed when they differ.
 */
export function refusalOf(failed: { error: string }[]): { status: number; error: string } {
  if (failed.some((f) => f.error === 'not_found')) return { status: 404, error: 'not_found' };
  const codes = new Set(failed.map((f) => f.error));
  if (codes.size > 1) return { status: 400, error: 'batch_failed' };
  const [only] = codes;
  return { status: only === 'quantity_changed' ? 409 : 400, error: only! };
}

/** Units of item `i` on confirmed or processing orders: what cancelling them could still restock. */
export function outstanding(m: Model, i: number): number {
  return m.orders
    .filter((o) => o.status === 'confirmed' || o.status === 'processing')
    .reduce((sum, o) => {
      const lines = [...m.reservations[o.res]!.lines].filter(([key]) => parseRowKey(key)[0] === i);
      return sum + lines.reduce((s, [, q]) => s + q, 0);
    }, 0);
}
