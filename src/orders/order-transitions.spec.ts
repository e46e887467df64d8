import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../common/errors.js';
import { assertTransition, ORDER_STATUSES, type OrderStatus } from './order-transitions.js';

const VALID: [OrderStatus, OrderStatus][] = [
  ['pending', 'confirmed'],
  ['pending', 'cancelled'],
  ['confirmed', 'processing'],
  ['confirmed', 'cancelled'],
  ['processing', 'shipped'],
  ['shipped', 'delivered'],
];
const isValid = (from: OrderStatus, to: OrderStatus) => VALID.some(([f, t]) => f === from && t === to);
const ALL_PAIRS = ORDER_STATUSES.flatMap((from) => ORDER_STATUSES.map((to) => [from, to] as const));

describe('order transitions', () => {
  it('covers all 36 pairs', () => expect(ALL_PAIRS).toHaveLength(36));

  it.each(ALL_PAIRS)('%s -> %s', (from, to) => {
    if (isValid(from, to)) {
      expect(() => assertTransition(from, to)).not.toThrow();
    } else {
      let error: unknown;
      try {
        assertTransition(from, to);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).code).toBe('invalid_transition');
      expect((error as DomainError).details).toEqual([
        { current_status: from, allowed: VALID.filter(([f]) => f === from).map(([, t]) => t) },
      ]);
    }
  });

  it('names the stock effect of the transitions that move units', () => {
    expect(assertTransition('pending', 'confirmed')).toBe('commit_reservation');
    expect(assertTransition('pending', 'cancelled')).toBe('release_reservation');
    expect(assertTransition('confirmed', 'cancelled')).toBe('restock');
    expect(assertTransition('confirmed', 'processing')).toBeUndefined();
  });
});
