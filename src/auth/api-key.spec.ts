import { describe, expect, it } from '@jest/globals';
import { refusalOf, type AuthKey } from './api-key.js';

const NOW = Date.parse('2026-12-01T12:00:00Z');
const key = (over: Partial<AuthKey> = {}): AuthKey => ({
  id: '7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b',
  tenant_id: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d',
  label: 'api',
  prefix: 'inv_abcdefgh',
  scopes: ['*'],
  created_at: new Date(NOW - 86_400_000),
  expires_at: null,
  revoked_at: null,
  last_used_at: null,
  rotated_from: null,
  tenant_disabled_at: null,
  ...over,
});
const outcome = (k: AuthKey) => {
  const err = refusalOf(k, NOW);
  return err && { status: err.status, code: err.code, message: err.message };
};

describe('whether a key found by its secret may be used', () => {
  it('a live key of an enabled tenant may', () => {
    expect(refusalOf(key(), NOW)).toBeUndefined();
    expect(refusalOf(key({ expires_at: new Date(NOW + 1) }), NOW)).toBeUndefined();
  });

  it('from its expiry on (to the millisecond) it is a 401', () => {
    expect(outcome(key({ expires_at: new Date(NOW) }))).toEqual({
      status: 401,
      code: 'unauthorized',
      message: 'This API key expired at 2026-12-01T12:00:00.000Z',
    });
  });

  it('a revoked key is a 401, whatever else holds', () => {
    const revoked = key({
      revoked_at: new Date(NOW - 1),
      expires_at: new Date(NOW - 1),
      tenant_disabled_at: new Date(),
    });
    expect(outcome(revoked)).toEqual({ status: 401, code: 'unauthorized', message: 'This API key was revoked' });
  });

  it('a live key of a disabled tenant is a 403 tenant_disabled (it is a credential; the tenant may not act)', () => {
    expect(outcome(key({ tenant_disabled_at: new Date(NOW - 1) }))).toMatchObject({
      status: 403,
      code: 'tenant_disabled',
    });
  });
});
