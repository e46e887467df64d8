import { describe, expect, it } from '@jest/globals';
import type { Env } from '../config/env.js';
import type { AuthKey } from './api-key.js';
import { ApiKeyCache } from './api-key-cache.js';

const cache = (ttl = 10_000) => new ApiKeyCache({ AUTH_CACHE_TTL_MS: ttl } as Env);
const key = (id: string, tenant_id = 't1') => ({ id, tenant_id }) as AuthKey;

describe('the auth cache', () => {
  it('keeps a key for the TTL, then looks it up again', () => {
    const c = cache(1000);
    c.set('h', key('k'), c.epoch());
    expect(c.get('h', Date.now() + 999)).toEqual(key('k'));
    expect(c.get('h', Date.now() + 1001)).toBeUndefined();
  });

  it('keeps nothing with a TTL of 0', () => {
    const c = cache(0);
    c.set('h', key('k'), c.epoch());
    expect(c.get('h')).toBeUndefined();
  });

  it('forgets a key, or every key of a tenant, at once', () => {
    const c = cache();
    c.set('a', key('ka', 't1'), c.epoch());
    c.set('b', key('kb', 't1'), c.epoch());
    c.set('c', key('kc', 't2'), c.epoch());
    c.forgetKey('ka');
    expect([c.get('a'), c.get('b')?.id]).toEqual([undefined, 'kb']);
    c.forgetTenant('t1');
    expect([c.get('b'), c.get('c')?.id]).toEqual([undefined, 'kc']);
  });

  it('does not keep what a lookup read before a forget: it may be the row from before the change', () => {
    const c = cache();
    const epoch = c.epoch(); // a lookup starts
    c.forgetKey('k'); // the key is revoked meanwhile, and committed
    c.set('h', key('k'), epoch); // the lookup ends with the row it read
    expect(c.get('h')).toBeUndefined();
  });
});
