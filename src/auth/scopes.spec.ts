import { describe, expect, it } from '@jest/globals';
import { grants, normalizeScopes, type RouteScope, SCOPES, scopesGranting } from './scopes.js';

const ROUTE_SCOPES = SCOPES.filter((s): s is RouteScope => s !== '*');
/** Besides itself and `*`, the one scope that grants each: writing a resource includes reading it. */
const ALSO_GRANTED_BY: Partial<Record<RouteScope, string>> = {
  'inventory:read': 'inventory:write',
  'orders:read': 'orders:write',
};

describe('scopes', () => {
  it.each(ROUTE_SCOPES.flatMap((held) => ROUTE_SCOPES.map((required) => [held, required] as const)))(
    'a key with %s may call a route needing %s only when it is that scope or its write',
    (held, required) => {
      expect(grants([held], required)).toBe(held === required || ALSO_GRANTED_BY[required] === held);
    },
  );

  it('`*` grants every scope; no scope grants nothing', () => {
    for (const required of ROUTE_SCOPES) {
      expect(grants(['*'], required)).toBe(true);
      expect(grants([], required)).toBe(false);
    }
  });

  it('a key with several scopes may do what any one of them allows', () => {
    expect(grants(['audit:read', 'orders:write'], 'orders:read')).toBe(true);
    expect(grants(['audit:read', 'orders:write'], 'inventory:read')).toBe(false);
  });

  it('names the scopes that grant a route, for the 403', () => {
    expect(scopesGranting('inventory:read')).toEqual(['inventory:read', 'inventory:write', '*']);
    expect(scopesGranting('webhooks:manage')).toEqual(['webhooks:manage', '*']);
  });

  it('normalizes: each scope once in a fixed order, `*` alone', () => {
    expect(normalizeScopes(['orders:read', 'inventory:read', 'orders:read'])).toEqual([
      'inventory:read',
      'orders:read',
    ]);
    expect(normalizeScopes(['audit:read', '*'])).toEqual(['*']);
  });
});
