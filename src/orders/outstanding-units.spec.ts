import { describe, expect, it } from '@jest/globals';
import { EFFECTS, type OrderStatus } from './order-transitions.js';
import { OUTSTANDING_STATUSES } from './outstanding-units.js';

describe('OUTSTANDING_STATUSES', () => {
  it('holds every status a transition restocks from, so a restock always has its room and a live item', () => {
    const restockFrom = Object.entries(EFFECTS)
      .filter(([, effect]) => effect === 'restock')
      .map(([pair]) => pair.split('->')[0] as OrderStatus);
    expect(restockFrom.length).toBeGreaterThan(0);
    for (const status of restockFrom) expect(OUTSTANDING_STATUSES).toContain(status);
  });
});
