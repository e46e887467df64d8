import { describe, expect, it } from '@jest/globals';
import { canonicalJson, requestFingerprint } from './request-fingerprint.js';

describe('request fingerprint', () => {
  it('ignores key order but not values, arrays order, method or path', () => {
    expect(canonicalJson({ b: 1, a: [2, { d: 1, c: null }] })).toBe('{"a":[2,{"c":null,"d":1}],"b":1}');
    const base = requestFingerprint('POST', '/api/items', { name: 'x', qty: 1 });
    expect(requestFingerprint('POST', '/api/items', { qty: 1, name: 'x' })).toEqual(base);
    expect(requestFingerprint('POST', '/api/items', { qty: 2, name: 'x' })).not.toEqual(base);
    expect(requestFingerprint('PATCH', '/api/items', { name: 'x', qty: 1 })).not.toEqual(base);
    expect(requestFingerprint('POST', '/api/items?x=1', { name: 'x', qty: 1 })).not.toEqual(base);
    expect(requestFingerprint('POST', '/api/r', { l: [1, 2] })).not.toEqual(
      requestFingerprint('POST', '/api/r', { l: [2, 1] }),
    );
  });
});
