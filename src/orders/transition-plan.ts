import type { AuditEntry } from '../audit/audit.service.js';
import { type DomainError, ReservationExpiredError } from '../common/errors.js';
import { type LockedStock, stockKey } from '../inventory/stock.repository.js';
import type { HeldLine, LockedReservation } from '../reservations/reservation.repository.js';
import type { LockedOrder } from './order.repository.js';
import { EFFECTS, type OrderStatus, transitionError } from './order-transitions.js';

/** What a transition that moves units needs locked besides the order (in this order): its reservation, lines, stock rows. */
export interface LockedHold {
  reservation: LockedReservation;
  lines: HeldLine[];
  /** The stock rows of the lines, locked: their counts before the move. */
  stock: LockedStock[];
}

/** How on_hand and reserved change on a stock row, per unit of the lines on it. */
export interface StockSigns {
  onHand: -1 | 0 | 1;
  reserved: -1 | 0 | 1;
}

/**
 * What becomes of the order's reservation: its hold ends (committed, released), or
 * it lapsed while still active and expires now, its units going back to stock
 * (the expiry writes its own audit rows).
 */
export type ReservationChange =
  | { kind: 'status'; id: string; status: 'committed' | 'released' }
  | { kind: 'expire'; reservation: LockedReservation; lines: HeldLine[] };

/** The order's new status and its history row; `reason` when it is not the status that was asked for. */
export interface OrderStatusChange {
  id: string;
  tenant_id: string;
  from: OrderStatus;
  to: OrderStatus;
  reason: string | null;
}

/** What the request answers once the writes committed: the new status, or an error (the writes still commit). */
export type TransitionAnswer = { status: OrderStatus } | { error: DomainError };

/** Everything a transition writes, in one unit of work, and what it answers. */
export interface TransitionPlan {
  /** Units moved on the locked rows, and the kind of movement the ledger records for them. */
  stock?: { lines: HeldLine[]; signs: StockSigns; type: 'committed' | 'released' | 'restocked' };
  reservation?: ReservationChange;
  order?: OrderStatusChange;
  /** The transition's audit entries, in order (an expiry's come with it). */
  audit: AuditEntry[];
  answer: TransitionAnswer;
}

type PlannedOrder = Pick<LockedOrder, 'id' | 'tenant_id' | 'status'>;

const DEDUCT: StockSigns = { onHand: -1, reserved: -1 };
const RELEASE: StockSigns = { onHand: 0, reserved: -1 };
const RESTOCK: StockSigns = { onHand: 1, reserved: 0 };

/** Whether moving `order` to `to` moves units, so that its hold must be locked (and passed to planTransition). */
export const needsHold = (order: PlannedOrder, to: OrderStatus): boolean =>
  EFFECTS[`${order.status}->${to}`] !== undefined;

/**
 * Plans moving a locked order to `to`: a move the table does not have writes
 * nothing and answers invalid_transition. Committing or releasing a live hold
 * moves its units and ends it; a hold that ended before (or lapsed, and then
 * expires now) has nothing left to move, so a cancel only cancels, and a confirm
 * cancels the order and answers reservation_expired. A restock puts the units
 * back on the rows they were taken from, whatever the reservation says.
 */
export function planTransition(order: PlannedOrder, to: OrderStatus, hold?: LockedHold): TransitionPlan {
  const invalid = transitionError(order.status, to);
  if (invalid) return { audit: [], answer: { error: invalid } };
  const effect = EFFECTS[`${order.status}->${to}`];
  if (effect === undefined) return statusChange(order, to);
  if (!hold) throw new Error(`order ${order.id}: ${order.status} -> ${to} moves units; its hold must be locked first`);
  const { reservation: r, lines } = hold;

  if (effect === 'restock') {
    return statusChange(order, to, null, {
      stock: { lines, signs: RESTOCK, type: 'restocked' },
      audit: stockEntries('stock.restocked', order.id, hold, RESTOCK),
    });
  }
  if (r.status === 'active' && !r.lapsed) {
    const status = effect === 'commit_reservation' ? 'committed' : 'released';
    const signs = status === 'committed' ? DEDUCT : RELEASE;
    return statusChange(order, to, null, {
      stock: { lines, signs, type: status },
      reservation: { kind: 'status', id: r.id, status },
      audit: [
        // Committing takes the units out of the warehouse; releasing returns held units (no stock audit row).
        ...(status === 'committed' ? stockEntries('stock.deducted', order.id, hold, signs) : []),
        {
          action: `reservation.${status}`,
          objectType: 'reservation',
          objectId: r.id,
          oldValue: { status: 'active' },
          newValue: { status, order_id: order.id },
        },
      ],
    });
  }
  // The hold ended before this transition: its units are back already, or go back now with its expiry.
  const ended: Partial<TransitionPlan> =
    r.status === 'active' ? { reservation: { kind: 'expire', reservation: r, lines } } : {};
  if (effect === 'release_reservation') return statusChange(order, to, null, ended);
  return {
    ...statusChange(order, 'cancelled', 'reservation_expired', ended),
    answer: { error: new ReservationExpiredError('The reservation has expired; the order was cancelled') },
  };
}

/** The order's new status with its audit entry, after the entries of `writes`; answers the new status. */
function statusChange(
  order: PlannedOrder,
  to: OrderStatus,
  reason: string | null = null,
  writes: Partial<TransitionPlan> = {},
): TransitionPlan {
  return {
    ...writes,
    order: { id: order.id, tenant_id: order.tenant_id, from: order.status, to, reason },
    audit: [
      ...(writes.audit ?? []),
      {
        action: 'order.status_changed',
        objectType: 'order',
        objectId: order.id,
        oldValue: { status: order.status },
        newValue: { status: to, ...(reason ? { reason } : {}) },
      },
    ],
    answer: { status: to },
  };
}

/** One audit entry per locked stock row the hold's lines move: its counts before and after (from the locked counts). */
function stockEntries(
  action: 'stock.deducted' | 'stock.restocked',
  orderId: string,
  { lines, stock }: LockedHold,
  signs: StockSigns,
): AuditEntry[] {
  const quantities = new Map<string, number>();
  for (const l of lines) quantities.set(stockKey(l), (quantities.get(stockKey(l)) ?? 0) + l.quantity);
  return stock.flatMap((s) => {
    const quantity = quantities.get(stockKey(s));
    if (!quantity) return [];
    return [
      {
        action,
        objectType: 'item',
        objectId: s.item_id,
        oldValue: { warehouse_id: s.warehouse_id, on_hand: s.on_hand, reserved: s.reserved },
        newValue: {
          warehouse_id: s.warehouse_id,
          on_hand: s.on_hand + signs.onHand * quantity,
          reserved: s.reserved + signs.reserved * quantity,
          quantity,
          order_id: orderId,
        },
      },
    ];
  });
}
