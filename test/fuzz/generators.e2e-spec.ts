import { beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { randomUUID } from 'node:crypto';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import {
  announceSeed,
  bodyCase,
  FUZZ_RUNS,
  fuzzParams,
  garbageAuth,
  headerCase,
  invalidUtf8,
  nastyString,
  pathIdCase,
  percentEncode,
  queryCase,
} from './support/fuzz-kit.js';

// The generators alone, no server: whatever the seed, every value they make must be
// a request the client sends as generated. Otherwise a suite fails (or the client
// quietly rewrites the request) for the harness's sake, not the service's:
// encodeURIComponent throws on a lone surrogate, Node refuses a header outside latin-1.

/** What a URL may hold to go out byte for byte and keep its meaning: printable ASCII, no fragment. */
const SENDABLE_URL = /^[\x21-\x22\x24-\x7e]*$/;

const runs = 20 * FUZZ_RUNS;

describe('fuzz generators: every value can be sent', () => {
  beforeAll(() => announceSeed());

  it('percentEncode: well-formed strings as encodeURIComponent does, lone surrogates as their three bytes', () => {
    expect(percentEncode('\uD800')).toBe('%ED%A0%80');
    expect(percentEncode('a\uDFFF\uD83D')).toBe('a%ED%BF%BF%ED%A0%BD');
    fc.assert(
      fc.property(nastyString, (s) => {
        const encoded = percentEncode(s);
        expect(encoded).toMatch(SENDABLE_URL);
        if (s.isWellFormed()) expect(encoded).toBe(encodeURIComponent(s));
        else expect(() => decodeURIComponent(encoded)).toThrow(URIError);
      }),
      fuzzParams(runs),
    );
  });

  it('path ids, query strings and unknown-route segments are plain ASCII', () => {
    const segments = fc.oneof(
      pathIdCase([randomUUID()]).map((c) => c.segment),
      nastyString.map(percentEncode),
      invalidUtf8,
    );
    fc.assert(
      fc.property(segments, (segment) => expect(segment).toMatch(/^[^/?]*$/)),
      fuzzParams(runs),
    );
    const valid = fc.record({ limit: fc.integer({ min: 1, max: 100 }).map(String), name: nastyString });
    fc.assert(
      fc.property(segments, queryCase(valid, ['limit', 'cursor', 'name']), (segment, query) =>
        expect(`/api/items/${segment}?${query.qs}`).toMatch(SENDABLE_URL),
      ),
      fuzzParams(runs),
    );
  });

  it('headers are what Node lets a client send', () => {
    fc.assert(
      fc.property(headerCase(), garbageAuth, (headers, auth) => {
        const all: [string, string][] = [...Object.entries(headers.headers), ['Authorization', auth]];
        for (const [name, value] of all) {
          expect(() => {
            validateHeaderName(name);
            validateHeaderValue(name, value);
          }).not.toThrow();
        }
      }),
      fuzzParams(runs),
    );
  });

  it('bodies are text or JSON', () => {
    const spec = { valid: fc.record({ name: nastyString, qty: fc.integer() }), integers: ['qty'], required: ['name'] };
    fc.assert(
      fc.property(bodyCase(spec), bodyCase({ ...spec, bodyless: true }), (...cases) => {
        for (const c of cases) expect(typeof (c.raw ?? JSON.stringify(c.json))).toBe('string');
      }),
      fuzzParams(runs),
    );
  });
});
