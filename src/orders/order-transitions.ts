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

/** The invalid_transition error (naming the current status and the allowed targets) unless `from -> to` is in the table. */
export function transitionError(from: OrderStatus, to: OrderStatus): InvalidTransitionError | undefined {
  if (TRANSITIONS[from].includes(to)) return undefined;
  return new InvalidTransitionError(`An order cannot go from ${from} to ${to}`, [
    { current_status: from, allowed: TRANSITIONS[from] },
  ]);
}

/** Throws invalid_transition unless `from -> to` is in the table; returns its stock effect. */
export function assertTransition(from: OrderStatus, to: OrderStatus): StockEffect | undefined {
  const error = transitionError(from, to);
  if (error) throw error;
  return EFFECTS[`${from}->${to}`];
}
