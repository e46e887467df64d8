import { expect } from '@jest/globals';
import fc from 'fast-check';
import { randomInt } from 'node:crypto';
import { relative } from 'node:path';
import type { Response } from 'supertest';
import type { TestApp } from '../../support/test-app.js';

// Building blocks of the property-based (fast-check) suites in test/fuzz: hostile
// values, a one-query fingerprint of everything a tenant owns, and the checks
// every response must pass whatever it was asked.

/**
 * Fixed unless FUZZ_SEED is set, so `npm test` is reproducible. FUZZ_SEED=random draws
 * one per suite (each test file loads this module afresh); announceSeed prints it.
 * fast-check prints seed and counterexample path when a property fails.
 */
export const FUZZ_SEED = seedOf(process.env.FUZZ_SEED);
export const FUZZ_RUNS = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : 100;

function seedOf(value: string | undefined): number {
  if (!value) return 20261121;
  if (value === 'random') return randomInt(2 ** 31);
  const seed = Number(value);
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED=${value}: an integer, or "random"`);
  return seed;
}

/**
 * The line to run this suite again with its seed, printed in beforeAll: jest shows it
 * with the suite's output, so even a failure that is no property's (a timeout, a
 * generator that throws) says which seed it came from.
 */
export function announceSeed(): void {
  const file = relative(process.cwd(), expect.getState().testPath ?? 'test/fuzz').replace(/\.e2e-spec\.ts$/, '');
  console.log(`fuzz seed: ${FUZZ_SEED} (re-run: FUZZ_SEED=${FUZZ_SEED} npm test -- ${file})`);
}

export function fuzzParams(numRuns = FUZZ_RUNS): fc.Parameters<unknown> {
  return { seed: FUZZ_SEED, numRuns, endOnFailure: true };
}

/** Jest's timeout for a property of `runs` runs of at most `msPerRun` each: more runs, more time. */
export function propertyTimeout(runs: number, msPerRun: number): number {
  return Math.max(60_000, runs * msPerRun);
}

// ---------------------------------------------------------------------------
// Values

export const FORBIDDEN_KEYS = ['__proto__', 'constructor', 'prototype'];

/** Numbers that break naive integer handling: fractions, beyond int4 / 2^53, tiny, huge. */
export const nastyNumber = fc.oneof(
  fc.constantFrom(
    0,
    -0,
    1,
    -1,
    1.5,
    -1.5,
    0.1,
    1e-7,
    1e20,
    -1e20,
    1e21,
    2 ** 31 - 1,
    2 ** 31,
    -(2 ** 31) - 1,
    2 ** 32,
    2 ** 53,
    2 ** 53 + 2,
    -(2 ** 53),
    Number.MAX_SAFE_INTEGER,
    Number.MIN_SAFE_INTEGER,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    1_000_000_001,
    86_401,
  ),
  fc.integer(),
  fc.integer({ min: -3, max: 1_000_000 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

/** Strings: unicode of every kind (lone surrogates, NUL, RTL marks, emoji), injection attempts, sizes around the limits. */
export const nastyString = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary-ascii', maxLength: 30 }),
  fc.uuid(),
  fc.uuid().map((u) => u.toUpperCase()),
  fc.constantFrom(
    '',
    ' ',
    '\t\n',
    '5',
    '-1',
    '1.5',
    '1e3',
    '0x10',
    'null',
    'true',
    'NaN',
    'Infinity',
    '[]',
    '{}',
    ...FORBIDDEN_KEYS,
    '\u0000',
    'a\u0000b',
    '\uD800',
    '\uDFFF',
    '\u202Eevil',
    '\uFEFF',
    'é',
    'e\u0301',
    '🙂',
    '👩‍👩‍👧',
    '<script>alert(1)</script>',
    "' OR 1=1 --",
    "'; DROP TABLE item; --",
    '../../etc/passwd',
    '%00',
    '%',
    '${jndi:x}',
    'EUR',
    'eur',
    'pending',
    'confirmed',
    'cancelled',
    'item',
    'stock.adjusted',
    '2026-01-01T00:00:00Z',
    '2026-13-45',
    'newest',
    'highest_value',
    'x'.repeat(255),
    'x'.repeat(256),
    'é'.repeat(256),
    '🙂'.repeat(256),
    'x'.repeat(5000),
  ),
);

/**
 * Percent-encodes any string. encodeURIComponent throws on a lone surrogate (nastyString
 * makes them); here one becomes the three bytes of its generalized UTF-8 form (U+D800 ->
 * %ED%A0%80), invalid UTF-8 that a client which does not check its strings would send.
 */
export function percentEncode(s: string): string {
  let out = '';
  for (const ch of s) {
    const unit = ch.charCodeAt(0);
    // Iterating by code points, a surrogate on its own is a lone one.
    const lone = ch.length === 1 && unit >= 0xd800 && unit <= 0xdfff;
    out += lone
      ? bytesEncoded([0xe0 | (unit >> 12), 0x80 | ((unit >> 6) & 0x3f), 0x80 | (unit & 0x3f)])
      : encodeURIComponent(ch);
  }
  return out;
}

const bytesEncoded = (bytes: Iterable<number>) =>
  Array.from(bytes, (b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/**
 * Percent-encoded bytes that decodeURIComponent refuses: surrogates (alone and as a CESU-8
 * pair), overlong forms, beyond U+10FFFF, truncated sequences, and random bytes (mostly invalid too).
 */
export const invalidUtf8 = fc.oneof(
  fc.constantFrom(
    '%ED%A0%80',
    '%ED%BF%BF',
    '%ED%A0%BD%ED%B8%80',
    '%FF',
    '%FE%FF',
    '%C3',
    '%C3%28',
    '%80',
    '%C0%AF',
    '%E0%80%AF',
    '%F4%90%80%80',
    '%F8%88%80%80%80',
  ),
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map(bytesEncoded),
);

/** Any JSON value, including objects whose keys try to reach prototypes. */
export const nastyJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    nastyNumber,
    nastyString,
    fc.constantFrom(true, false, null),
    fc.array(tie('value'), { maxLength: 4 }),
    tie('object'),
  ),
  object: fc
    .array(fc.tuple(fc.oneof(nastyString, fc.constantFrom(...FORBIDDEN_KEYS)), tie('value')), { maxLength: 4 })
    .map(toObject),
})).value;

/** Builds an object with own properties named as given, `__proto__` included (JSON.parse semantics). */
export function toObject(entries: [string, unknown][]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, configurable: true, writable: true });
  return o;
}

// ---------------------------------------------------------------------------
// Bodies

/**
 * A body to send, and whether any valid API must refuse it. `mayPass` bodies
 * can legitimately succeed (fast-check found a valid request): they are only
 * checked for shape, and for no state change when refused.
 */
export interface BodyCase {
  label: string;
  /** A value to send as JSON, or raw text with a content type. */
  json?: unknown;
  raw?: string;
  contentType?: string;
  mustReject: boolean;
}

export interface BodySpec {
  /** Valid bodies of the endpoint (they may still fail a domain rule). */
  valid: fc.Arbitrary<Record<string, unknown>>;
  /** Fields that must be JSON integers, and required fields. */
  integers?: string[];
  required?: string[];
  /** No body at all is a valid request (e.g. release). */
  optional?: boolean;
  /** The route reads no body (GET, DELETE, release): only a body that cannot be parsed is refused. */
  bodyless?: boolean;
}

const UNPARSEABLE = new Set(['truncated JSON', 'trailing comma', 'JSON in latin1']);

const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
const deepObject = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** Mutations of a valid body, from harmless to hostile. */
export function bodyCase(spec: BodySpec): fc.Arbitrary<BodyCase> {
  const allowed = (o: Record<string, unknown>) => new Set(Object.keys(o));
  const integers = spec.integers ?? [];
  const required = spec.required ?? [];
  if (spec.bodyless) {
    return bodyCase({ ...spec, bodyless: false, optional: true }).map((c) => ({
      ...c,
      mustReject: UNPARSEABLE.has(c.label),
    }));
  }
  return fc.oneof(
    // As is: may pass.
    spec.valid.map((json) => ({ label: 'valid', json, mustReject: false })),
    // One field replaced by anything: refused for sure when an integer field gets a non-integer.
    fc.tuple(spec.valid, fc.nat(), nastyJson).map(([body, n, value]) => {
      const keys = Object.keys(body);
      if (keys.length === 0) return { label: 'valid (no fields)', json: body, mustReject: false };
      const key = keys[n % keys.length]!;
      const notInt = integers.includes(key) && !Number.isSafeInteger(value);
      return { label: `field ${key} replaced`, json: { ...body, [key]: value }, mustReject: notInt };
    }),
    // An unknown or prototype-polluting field, at the top or nested in a line.
    fc
      .tuple(spec.valid, fc.oneof(nastyString, fc.constantFrom(...FORBIDDEN_KEYS)), nastyJson, fc.boolean())
      .map(([body, key, value, nested]) => {
        const lines = body.lines;
        if (nested && Array.isArray(lines) && lines.length > 0 && !LINE_FIELDS.includes(key)) {
          const [first, ...rest] = lines as Record<string, unknown>[];
          const line = toObject([...Object.entries(first!), [key, value]]);
          return {
            label: `unknown line field ${JSON.stringify(key)}`,
            json: { ...body, lines: [line, ...rest] },
            mustReject: true,
          };
        }
        if (allowed(body).has(key) || isKnownField(key)) return { label: 'valid', json: body, mustReject: false };
        return {
          label: `unknown field ${JSON.stringify(key)}`,
          json: toObject([...Object.entries(body), [key, value]]),
          mustReject: true,
        };
      }),
    // A required field missing.
    fc.tuple(spec.valid, fc.nat()).map(([body, n]) => {
      const present = required.filter((k) => k in body);
      if (present.length === 0) return { label: 'valid', json: body, mustReject: false };
      const key = present[n % present.length]!;
      const { [key]: _dropped, ...rest } = body;
      return { label: `missing ${key}`, json: rest, mustReject: true };
    }),
    // Not an object at all.
    fc
      .oneof(nastyNumber, nastyString, fc.constantFrom(true, false), fc.array(nastyJson, { maxLength: 3 }))
      .map((json) => ({
        label: 'not an object',
        json,
        mustReject: !spec.optional,
      })),
    // Any JSON object.
    nastyJson
      .filter((v) => typeof v === 'object' && v !== null && !Array.isArray(v))
      .map((json) => ({ label: 'random object', json, mustReject: false })),
    // Raw texts: malformed, too deep, numbers JSON cannot hold exactly, polluting keys, other media types.
    fc
      .tuple(spec.valid, fc.integer({ min: 0, max: 11 }), fc.integer({ min: 33, max: 20_000 }))
      .map(([body, kind, depth]): BodyCase => {
        const inner = JSON.stringify(body).slice(1, -1);
        const comma = inner ? ',' : '';
        const firstInt = integers.find((k) => k in body);
        switch (kind) {
          case 0:
            return { label: 'truncated JSON', raw: JSON.stringify(body).slice(0, -1), mustReject: true };
          case 1:
            return { label: 'trailing comma', raw: `{${inner},}`, mustReject: true };
          case 2:
            return {
              label: `arrays nested ${depth} deep`,
              raw: `{${inner}${comma}"x":${deepArray(depth)}}`,
              mustReject: true,
            };
          case 3:
            return {
              label: `objects nested ${depth} deep`,
              raw: `{${inner}${comma}"x":${deepObject(Math.min(depth, 5000))}}`,
              mustReject: true,
            };
          case 4:
            return { label: '__proto__ key', raw: `{${inner}${comma}"__proto__":{"polluted":true}}`, mustReject: true };
          case 5:
            return {
              label: 'constructor.prototype key',
              raw: `{${inner}${comma}"constructor":{"prototype":{"polluted":true}}}`,
              mustReject: true,
            };
          case 6:
            return firstInt
              ? {
                  label: `${firstInt} 1e400`,
                  raw: JSON.stringify({ ...body, [firstInt]: 0 }).replace(`"${firstInt}":0`, `"${firstInt}":1e400`),
                  mustReject: true,
                }
              : { label: 'valid', json: body, mustReject: false };
          case 7:
            return firstInt
              ? {
                  label: `${firstInt} 2^70 literal`,
                  raw: JSON.stringify({ ...body, [firstInt]: 0 }).replace(
                    `"${firstInt}":0`,
                    `"${firstInt}":1180591620717411303424`,
                  ),
                  mustReject: true,
                }
              : { label: 'valid', json: body, mustReject: false };
          case 8:
            return {
              label: 'form-encoded',
              raw: 'a=1&__proto__[polluted]=1',
              contentType: 'application/x-www-form-urlencoded',
              mustReject: !spec.optional,
            };
          case 9:
            return {
              label: 'JSON as text/plain',
              raw: JSON.stringify(body),
              contentType: 'text/plain',
              mustReject: !spec.optional,
            };
          case 10:
            return {
              label: 'JSON in latin1',
              raw: JSON.stringify(body),
              contentType: 'application/json; charset=iso-8859-1',
              mustReject: true,
            };
          default:
            return { label: 'empty JSON body', raw: '', mustReject: !spec.optional };
        }
      }),
  );
}

/** Fields a line of some request has: one added to a line is not necessarily unknown there. */
const LINE_FIELDS = [
  'item_id',
  'sku',
  'quantity',
  'warehouse_id',
  'warehouse_code',
  'unit_price',
  'on_hand',
  'expected_on_hand',
  'delta',
  'type',
  'reason',
];

const KNOWN_FIELDS = new Set([
  'name',
  'sku',
  'description',
  'qty',
  'delta',
  'warehouse_id',
  'reason',
  'code',
  'priority',
  'lines',
  'item_id',
  'quantity',
  'ttl_seconds',
  'reference',
  'currency',
  'customer_ref',
  'reservation_id',
  'prices',
  'unit_price',
  'to',
  'label',
  'reorder_point',
  'active',
  'warehouse_code',
  'from_warehouse_id',
  'from_warehouse_code',
  'to_warehouse_id',
  'to_warehouse_code',
  'on_hand',
  'expected_on_hand',
  'type',
  'mode',
]);
const isKnownField = (key: string) => KNOWN_FIELDS.has(key);

// ---------------------------------------------------------------------------
// Paths, queries, headers

export interface PathCase {
  label: string;
  segment: string;
  /** A path segment that is no UUID names no resource: 404 whatever else. */
  mustReject: boolean;
}

/** The id in a path: the real one (maybe upper-cased), unknown UUIDs, and hostile text. */
export function pathIdCase(realIds: string[]): fc.Arbitrary<PathCase> {
  return fc.oneof(
    {
      weight: 4,
      arbitrary: fc.constantFrom(...realIds).map((id) => ({ label: 'real id', segment: id, mustReject: false })),
    },
    fc
      .constantFrom(...realIds)
      .map((id) => ({ label: 'real id, upper case', segment: id.toUpperCase(), mustReject: false })),
    fc.uuid().map((id) => ({ label: 'unknown uuid', segment: id, mustReject: false })),
    fc
      .constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff')
      .map((id) => ({ label: 'edge uuid', segment: id, mustReject: false })),
    nastyString
      .filter((s) => s.length > 0 && !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s))
      .map((s) => ({ label: 'hostile id', segment: percentEncode(s), mustReject: true })),
    invalidUtf8.map((segment) => ({ label: `bytes ${segment.slice(0, 40)}`, segment, mustReject: true })),
    fc
      .constantFrom(
        '..',
        '.',
        '%2e%2e',
        '..%2f..%2fadmin',
        '%',
        '%zz',
        '%E0%A4%A',
        '%00',
        '%C0%AF',
        'null',
        'undefined',
        '1',
        '-1',
        '0x1',
        '__proto__',
        'constructor',
      )
      // '.' and '..' are resolved by the client (/api/items/. is the list itself): not necessarily refused.
      .map((segment) => ({
        label: `raw segment ${segment}`,
        segment,
        mustReject: segment !== '.' && segment !== '..',
      })),
    fc
      .integer({ min: 37, max: 6000 })
      .map((n) => ({ label: `id of ${n} chars`, segment: 'a'.repeat(n), mustReject: true })),
  );
}

/** A query string (without `?`): known parameters with valid or hostile values, unknown and bracketed keys. */
export function queryCase(
  valid: fc.Arbitrary<Record<string, string>>,
  knownKeys: string[],
): fc.Arbitrary<{ label: string; qs: string; mustReject: boolean }> {
  const enc = percentEncode;
  const pair = fc.oneof(
    fc.tuple(fc.constantFrom(...knownKeys), nastyString).map(([k, v]) => ({ text: `${k}=${enc(v)}`, reject: false })),
    fc
      .tuple(fc.constantFrom(...knownKeys), fc.constantFrom('[]', '[0]', '[a]', '[__proto__]', '[][]'), nastyString)
      .map(([k, b, v]) => ({ text: `${k}${b}=${enc(v)}`, reject: false })),
    fc
      .tuple(
        fc.constantFrom(
          '__proto__',
          'constructor',
          'prototype',
          '__proto__[limit]',
          'constructor[prototype][polluted]',
          'a[b][c][d][e][f]',
        ),
        nastyString,
      )
      .map(([k, v]) => ({ text: `${k}=${enc(v)}`, reject: false })),
    fc
      .tuple(
        nastyString.filter((k) => k.length > 0 && !knownKeys.includes(k)),
        nastyString,
      )
      .map(([k, v]) => ({ text: `${enc(k)}=${enc(v)}`, reject: false })),
    // A plain unknown name is refused for sure (the query parser drops names of Object.prototype, so not those).
    fc
      .tuple(
        fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/).filter((k) => !knownKeys.includes(k) && !(k in Object.prototype)),
        nastyString,
      )
      .map(([k, v]) => ({ text: `${k}=${enc(v)}`, reject: true })),
    fc
      .constantFrom('%', '%zz', '&&', '=', '==x', 'limit', 'limit=', 'cursor=%E0%A4%A', `limit=${'9'.repeat(400)}`)
      .map((text) => ({ text, reject: false })),
    fc
      .tuple(fc.constantFrom(...knownKeys), invalidUtf8, fc.boolean())
      .map(([k, bytes, asKey]) => ({ text: asKey ? `${bytes}=1` : `${k}=${bytes}`, reject: false })),
  );
  return fc.oneof(
    {
      weight: 2,
      arbitrary: valid.map((q) => ({ label: 'valid query', qs: new URLSearchParams(q).toString(), mustReject: false })),
    },
    fc.array(pair, { minLength: 1, maxLength: 4 }).map((pairs) => ({
      label: 'hostile query',
      qs: pairs.map((p) => p.text).join('&'),
      mustReject: pairs.some((p) => p.reject),
    })),
    fc.integer({ min: 2, max: 2000 }).map((n) => ({
      label: `${n} repeated keys`,
      qs: Array.from({ length: n }, () => 'limit=1').join('&'),
      mustReject: false,
    })),
  );
}

/** Printable latin-1 text: what an HTTP client can put in a header value. */
const headerText = fc
  .oneof(
    fc.string({ unit: 'binary-ascii', maxLength: 60 }),
    fc.constantFrom('x'.repeat(129), 'x'.repeat(4000), 'ÿé', '../', '\t'),
  )
  .map((s) => s.replace(/[^\t\x20-\x7e\x80-\xff]/g, '').trim());

export interface HeaderCase {
  label: string;
  headers: Record<string, string>;
  /** 'key' (the tenant's), 'none', 'garbage', 'other' (another tenant's key), 'admin'. */
  auth: 'key' | 'none' | 'garbage' | 'other' | 'admin';
}

export function headerCase(): fc.Arbitrary<HeaderCase> {
  const extra = fc.array(
    fc.oneof(
      fc.tuple(fc.constant('X-Request-Id'), headerText),
      fc.tuple(
        fc.constant('Accept'),
        fc.constantFrom('text/html', '*/*', 'application/xml', 'application/json;q=0', ''),
      ),
      fc.tuple(fc.constant('Accept-Encoding'), fc.constantFrom('gzip', 'br', 'identity;q=0', 'x-unknown')),
      fc.tuple(fc.constant('Idempotency-Key'), headerText),
      fc.tuple(fc.constant('X-Forwarded-For'), headerText),
      fc.tuple(fc.constant('If-None-Match'), headerText),
      fc.tuple(fc.constantFrom('X-Tenant-Id', 'X-Admin', 'X-HTTP-Method-Override', 'X-Original-URL'), headerText),
      fc.tuple(fc.constant('Content-Encoding'), fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-unknown')),
      fc.tuple(fc.constant('Cookie'), headerText),
    ),
    { maxLength: 3 },
  );
  const auth = fc.oneof(
    { weight: 6, arbitrary: fc.constant('key' as const) },
    fc.constantFrom('none' as const, 'garbage' as const, 'other' as const, 'admin' as const),
  );
  return fc.tuple(auth, extra).map(([a, pairs]) => ({
    label: `auth ${a}${pairs.length ? `, ${pairs.map(([k]) => k).join(', ')}` : ''}`,
    headers: Object.fromEntries(pairs),
    auth: a,
  }));
}

export const garbageAuth = fc.constantFrom(
  'Bearer',
  'Bearer ',
  'Bearer inv_not-a-key',
  'Basic dXNlcjpwYXNz',
  `Bearer ${'a'.repeat(600)}`,
  'Token abc',
  'Bearer \tabc',
  'null',
);

// ---------------------------------------------------------------------------
// State and checks

/** One md5 per tenant over every row it owns: equal fingerprints, equal state. */
export async function fingerprint(t: TestApp, tenantIds: string[]): Promise<string[]> {
  const tables: [string, string][] = [
    ['item', 'id'],
    ['stock', 'item_id, warehouse_id'],
    ['warehouse', 'id'],
    ['api_key', 'id'],
    ['reservation', 'id'],
    ['reservation_line', 'reservation_id, item_id, warehouse_id'],
    ['orders', 'id'],
    ['order_line', 'order_id, item_id, warehouse_id'],
    ['webhook_endpoint', 'id'],
  ];
  // Append-only tables (a trigger forbids changing audit rows, movements and events are only ever inserted): a count tells.
  const appendOnly = ['order_status_history', 'audit_log', 'stock_movement', 'event'];
  // Rows as text, but API keys without last_used_at: bookkeeping written on a timer, not state a request changes.
  const rowText = (table: string) => (table === 'api_key' ? `(to_jsonb(x) - 'last_used_at')::text` : 'x::text');
  const parts = [
    ...tables.map(
      ([table, order]) =>
        `(SELECT coalesce(string_agg(${rowText(table)}, ',' ORDER BY ${order
          .split(', ')
          .map((c) => `x.${c}`)
          .join(', ')}), '') FROM ${table} x WHERE x.tenant_id = k.id)`,
    ),
    ...appendOnly.map((table) => `(SELECT count(*)::text FROM ${table} x WHERE x.tenant_id = k.id)`),
  ].join(`, '|', `);
  const rows: { md5: string }[] = await t.db.query(
    `SELECT md5(concat(${parts}, '|', (SELECT x::text FROM tenant x WHERE x.id = k.id))) AS md5
     FROM unnest($1::uuid[]) WITH ORDINALITY AS k(id, n) ORDER BY k.n`,
    [tenantIds],
  );
  return rows.map((r) => r.md5);
}

const OBJECT_PROTOTYPE_KEYS = Object.getOwnPropertyNames(Object.prototype).sort();

/** The service runs in this process: nothing may have reached Object.prototype. */
export function expectNoPollution(): void {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(OBJECT_PROTOTYPE_KEYS);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
}

/**
 * What every response must be, whatever the request: never a 5xx, always JSON
 * (204 aside), the success or error envelope, the request id echoed.
 */
export function expectContract(res: Response, context: string): void {
  const where = `${context} -> ${res.status} ${JSON.stringify(res.body)?.slice(0, 300)}`;
  expect({ where, status: res.status < 500 }).toEqual({ where, status: true });
  const requestId = res.headers['x-request-id'];
  expect({ where, requestId: typeof requestId === 'string' && requestId.length > 0 }).toEqual({
    where,
    requestId: true,
  });
  // 204, and 304 to a conditional GET (If-None-Match): no body by definition.
  if (res.status === 204 || res.status === 304) {
    expect({ where, text: res.text ?? '' }).toEqual({ where, text: '' });
    return;
  }
  expect({ where, type: res.headers['content-type'] }).toEqual({
    where,
    type: expect.stringMatching(/^application\/json/),
  });
  const body = res.body as Record<string, unknown>;
  expect({ where, request_id: body.request_id }).toEqual({ where, request_id: requestId });
  if (res.status < 300) {
    expect({ where, keys: Object.keys(body).filter((k) => !['request_id', 'data', 'page'].includes(k)) }).toEqual({
      where,
      keys: [],
    });
    expect({ where, hasData: 'data' in body }).toEqual({ where, hasData: true });
  } else {
    expect({
      where,
      keys: Object.keys(body).filter((k) => !['request_id', 'error', 'message', 'details'].includes(k)),
    }).toEqual({ where, keys: [] });
    expect({ where, error: body.error }).toEqual({ where, error: expect.stringMatching(/^[a-z][a-z_]*$/) });
    expect({ where, message: typeof body.message === 'string' && (body.message as string).length > 0 }).toEqual({
      where,
      message: true,
    });
    if ('details' in body) expect({ where, details: Array.isArray(body.details) }).toEqual({ where, details: true });
    // No internals: stack frames, driver errors.
    expect({
      where,
      leak: /\bat \S+ \(\S+:\d+:\d+\)|QueryFailedError|node_modules\//.test(JSON.stringify(body)),
    }).toEqual({ where, leak: false });
  }
}

/** Counts statuses over a suite, for one summary line. */
export class Tally {
  private readonly counts = new Map<string, number>();
  add(res: Response): void {
    const key = res.status < 300 ? '2xx' : res.status < 500 ? '4xx' : '5xx';
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    this.counts.set('total', (this.counts.get('total') ?? 0) + 1);
  }
  line(name: string): string {
    const n = (k: string) => this.counts.get(k) ?? 0;
    return `[fuzz] ${name}: requests ${n('total')}, 2xx ${n('2xx')}, 4xx ${n('4xx')}, 5xx ${n('5xx')} (seed ${FUZZ_SEED})`;
  }
}
