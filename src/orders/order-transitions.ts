import { InvalidTransitionError } from '../common/errors.js';

export const ORDER_STATUSES = ['pending', 'confirmed', 'processing', 'shipped', 'delivered', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** The state machine, all of it: which status may follow which. */
export const TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['confirmed', 'cancelled'],
  confirmed: ['processing', 'cancelled'],
  processing: ['shipped'],
  shipped: ['delivered'],
  delivered: [],
  cancelled: [],
};

/** What a transition does to stock, besides changing the status. */
export type StockEffect = 'commit_reservation' | 'release_reservation' | 'restock';

export const EFFECTS: Readonly<Partial<Record<`${OrderStatus}->${OrderStatus}`, StockEffect>>> = {
  'pending->confirmed': 'commit_reservation',
  'pending->cancelled': 'release_reservation',
  'confirmed->cancelled': 'restock',
};

/** Throws invalid_transition (naming the current status and the allowed targets) unless `from -> to` is in the table. */
export function assertTransition(from: OrderStatus, to: OrderStatus): StockEffect | undefined {
  if (!TRANSITIONS[from].includes(to)) {
    throw new InvalidTransitionError(`An order cannot go from ${from} to ${to}`, [
      { current_status: from, allowed: TRANSITIONS[from] },
    ]);
  }
  return EFFECTS[`${from}->${to}`];
}
