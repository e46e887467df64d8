import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../common/errors.js';
import type { LockedReservation } from '../reservations/reservation.repository.js';
import { ORDER_STATUSES, type OrderStatus, TRANSITIONS } from './order-transitions.js';
import { type LockedHold, needsHold, planTransition, type TransitionPlan } from './transition-plan.js';

const ORDER = '00000000-0000-4000-8000-0000000000a1';
const TENANT = '00000000-0000-4000-8000-0000000000f1';
const RES = '00000000-0000-4000-8000-0000000000b1';
const A = '00000000-0000-4000-8000-00000000000a';
const B = '00000000-0000-4000-8000-00000000000b';
const W1 = '00000000-0000-4000-8000-000000000001';
const W2 = '00000000-0000-4000-8000-000000000002';
const EXPIRES = new Date('2030-01-01T00:00:00.000Z');

const order = (status: OrderStatus) => ({ id: ORDER, tenant_id: TENANT, status });

/** The reservation states a transition can find: live, lapsed but not swept, and ended three ways. */
const STATES = {
  active: { status: 'active', lapsed: false },
  lapsed: { status: 'active', lapsed: true },
  expired: { status: 'expired', lapsed: true },
  released: { status: 'released', lapsed: false },
  committed: { status: 'committed', lapsed: false },
} as const;
type State = keyof typeof STATES;
const STATE_NAMES = Object.keys(STATES) as State[];

/** Two lines of item A on W1 (one row, 3 units), one of A on W2, one of B on W1; the rows as locked. */
function hold(state: State): LockedHold {
  const reservation: LockedReservation = { id: RES, tenant_id: TENANT, expires_at: EXPIRES, ...STATES[state] };
  return {
    reservation,
    lines: [
      { reservation_id: RES, item_id: A, warehouse_id: W1, quantity: 2 },
      { reservation_id: RES, item_id: A, warehouse_id: W1, quantity: 1 },
      { reservation_id: RES, item_id: A, warehouse_id: W2, quantity: 4 },
      { reservation_id: RES, item_id: B, warehouse_id: W1, quantity: 5 },
    ],
    stock: [
      { item_id: A, warehouse_id: W1, on_hand: 10, reserved: 3 },
      { item_id: A, warehouse_id: W2, on_hand: 4, reserved: 4 },
      { item_id: B, warehouse_id: W1, on_hand: 6, reserved: 5 },
    ],
  };
}

const statusChanged = (from: OrderStatus, to: OrderStatus, reason?: string) => ({
  action: 'order.status_changed',
  objectType: 'order',
  objectId: ORDER,
  oldValue: { status: from },
  newValue: reason ? { status: to, reason } : { status: to },
});
const orderChange = (from: OrderStatus, to: OrderStatus, reason: string | null = null) => ({
  id: ORDER,
  tenant_id: TENANT,
  from,
  to,
  reason,
});
const stockRow = (
  action: string,
  item: string,
  warehouse: string,
  before: [number, number],
  after: [number, number],
  quantity: number,
) => ({
  action,
  objectType: 'item',
  objectId: item,
  oldValue: { warehouse_id: warehouse, on_hand: before[0], reserved: before[1] },
  newValue: { warehouse_id: warehouse, on_hand: after[0], reserved: after[1], quantity, order_id: ORDER },
});

const PAIRS = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));
const INVALID = PAIRS.filter(([from, to]) => !TRANSITIONS[from].includes(to));
const STATUS_ONLY: [OrderStatus, OrderStatus][] = [
  ['confirmed', 'processing'],
  ['processing', 'shipped'],
  ['shipped', 'delivered'],
];

describe('planTransition', () => {
  it('knows 30 invalid pairs, 3 that only change the status and 3 that move units', () => {
    expect(INVALID).toHaveLength(30);
    expect(PAIRS.filter(([from, to]) => needsHold(order(from), to))).toEqual([
      ['pending', 'confirmed'],
      ['pending', 'cancelled'],
      ['confirmed', 'cancelled'],
    ]);
  });

  describe.each(STATE_NAMES)('with the reservation %s', (state) => {
    it.each(INVALID)('%s -> %s writes nothing and answers invalid_transition', (from, to) => {
      const plan = planTransition(order(from), to, hold(state));
      expect(plan).toEqual({ audit: [], answer: { error: expect.any(DomainError) } });
      const { error } = plan.answer as { error: DomainError };
      expect([error.code, error.status]).toEqual(['invalid_transition', 400]);
      expect(error.details).toEqual([{ current_status: from, allowed: TRANSITIONS[from] }]);
    });

    it.each(STATUS_ONLY)('%s -> %s changes the status only', (from, to) => {
      const expected: TransitionPlan = {
        order: orderChange(from, to),
        audit: [statusChanged(from, to)],
        answer: { status: to },
      };
      expect(planTransition(order(from), to)).toEqual(expected);
      expect(planTransition(order(from), to, hold(state))).toEqual(expected);
    });

    it('confirmed -> cancelled puts the units back on the rows they came from, whatever the reservation says', () => {
      const h = hold(state);
      expect(planTransition(order('confirmed'), 'cancelled', h)).toEqual({
        stock: { lines: h.lines, signs: { onHand: 1, reserved: 0 }, type: 'restocked' },
        order: orderChange('confirmed', 'cancelled'),
        audit: [
          stockRow('stock.restocked', A, W1, [10, 3], [13, 3], 3),
          stockRow('stock.restocked', A, W2, [4, 4], [8, 4], 4),
          stockRow('stock.restocked', B, W1, [6, 5], [11, 5], 5),
          statusChanged('confirmed', 'cancelled'),
        ],
        answer: { status: 'cancelled' },
      });
    });
  });

  describe('pending -> confirmed', () => {
    it('commits a live hold: the units leave the warehouse, one audit row per stock row', () => {
      const h = hold('active');
      expect(planTransition(order('pending'), 'confirmed', h)).toEqual({
        stock: { lines: h.lines, signs: { onHand: -1, reserved: -1 }, type: 'committed' },
        reservation: { kind: 'status', id: RES, status: 'committed' },
        order: orderChange('pending', 'confirmed'),
        audit: [
          stockRow('stock.deducted', A, W1, [10, 3], [7, 0], 3),
          stockRow('stock.deducted', A, W2, [4, 4], [0, 0], 4),
          stockRow('stock.deducted', B, W1, [6, 5], [1, 0], 5),
          {
            action: 'reservation.committed',
            objectType: 'reservation',
            objectId: RES,
            oldValue: { status: 'active' },
            newValue: { status: 'committed', order_id: ORDER },
          },
          statusChanged('pending', 'confirmed'),
        ],
        answer: { status: 'confirmed' },
      });
    });

    it('finding the hold lapsed: expires it, cancels the order, and answers reservation_expired', () => {
      const h = hold('lapsed');
      const plan = planTransition(order('pending'), 'confirmed', h);
      expect(plan).toEqual({
        reservation: { kind: 'expire', reservation: h.reservation, lines: h.lines },
        order: orderChange('pending', 'cancelled', 'reservation_expired'),
        audit: [statusChanged('pending', 'cancelled', 'reservation_expired')],
        answer: { error: expect.any(DomainError) },
      });
      expect((plan.answer as { error: DomainError }).error.code).toBe('reservation_expired');
    });

    it.each(['expired', 'released', 'committed'] as const)(
      'finding the hold %s: cancels the order (nothing to move) and answers reservation_expired',
      (state) => {
        const plan = planTransition(order('pending'), 'confirmed', hold(state));
        expect(plan).toEqual({
          order: orderChange('pending', 'cancelled', 'reservation_expired'),
          audit: [statusChanged('pending', 'cancelled', 'reservation_expired')],
          answer: { error: expect.any(DomainError) },
        });
        expect((plan.answer as { error: DomainError }).error.code).toBe('reservation_expired');
      },
    );
  });

  describe('pending -> cancelled', () => {
    it('releases a live hold: the held units are free again (no stock audit row)', () => {
      const h = hold('active');
      expect(planTransition(order('pending'), 'cancelled', h)).toEqual({
        stock: { lines: h.lines, signs: { onHand: 0, reserved: -1 }, type: 'released' },
        reservation: { kind: 'status', id: RES, status: 'released' },
        order: orderChange('pending', 'cancelled'),
        audit: [
          {
            action: 'reservation.released',
            objectType: 'reservation',
            objectId: RES,
            oldValue: { status: 'active' },
            newValue: { status: 'released', order_id: ORDER },
          },
          statusChanged('pending', 'cancelled'),
        ],
        answer: { status: 'cancelled' },
      });
    });

    it('finding the hold lapsed: expires it (its units go back once) and cancels', () => {
      const h = hold('lapsed');
      expect(planTransition(order('pending'), 'cancelled', h)).toEqual({
        reservation: { kind: 'expire', reservation: h.reservation, lines: h.lines },
        order: orderChange('pending', 'cancelled'),
        audit: [statusChanged('pending', 'cancelled')],
        answer: { status: 'cancelled' },
      });
    });

    it.each(['expired', 'released', 'committed'] as const)('finding the hold %s: only cancels', (state) => {
      expect(planTransition(order('pending'), 'cancelled', hold(state))).toEqual({
        order: orderChange('pending', 'cancelled'),
        audit: [statusChanged('pending', 'cancelled')],
        answer: { status: 'cancelled' },
      });
    });
  });

  it('refuses to plan a move of units without the hold locked', () => {
    expect(() => planTransition(order('pending'), 'confirmed')).toThrow(/must be locked/);
    expect(() => planTransition(order('confirmed'), 'cancelled')).toThrow(/must be locked/);
  });
});
