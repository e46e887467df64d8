import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import {
  countQueries,
  expectError,
  expectUnchanged,
  newItem,
  newTenant,
  type TestTenant,
} from '../support/fixtures.js';
import { driveTo, getOrder, orderOf, orderPages, type OrderStatus } from '../support/orders.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

interface Known {
  id: string;
  status: OrderStatus;
  total: number;
  ref: string | null;
  created: number; // ms since epoch, as set in SQL
}

const BASE = Date.parse('2024-03-01T00:00:00.000Z');
const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

let t: TestApp;
let a: TestTenant;
let b: TestTenant;
const known: Known[] = [];
const knownB: string[] = [];

async function setCreatedAt(id: string, ms: number) {
  await t.db.query('UPDATE orders SET created_at = $2 WHERE id = $1', [id, iso(ms)]);
}

beforeAll(async () => {
  t = await startTestApp({ ENABLE_CRON: 'false' });
  [a, b] = [await newTenant(t), await newTenant(t)];
  const item = await newItem(t, a, { qty: 1000 });
  const statuses: OrderStatus[] = [
    'pending',
    'confirmed',
    'cancelled',
    'processing',
    'shipped',
    'delivered',
    'confirmed',
  ];
  const prices = [100, 250, 100, 999, 40, 250, 5000];
  const refs = ['alice', 'bob', null];
  for (let i = 0; i < 25; i++) {
    const quantity = 1 + (i % 2);
    const ref = refs[i % 3]!;
    const order = await orderOf(t, a, item.id, quantity, prices[i % 7]!, ref ? { customer_ref: ref } : {});
    const status = statuses[i % 7]!;
    await driveTo(t, a, order.id, status);
    // Every hour 0..24 once (7 is coprime to 25), except a few that tie on hour 3;
    // every fifth keeps its real created_at (microseconds: the cursor must keep them).
    let created = Date.parse(order.created_at);
    if (i % 5 !== 4) {
      created = BASE + (i % 8 === 0 ? 3 : (i * 7) % 25) * HOUR;
      await setCreatedAt(order.id, created);
    }
    known.push({ id: order.id, status, total: order.total_amount, ref, created });
  }
  const itemB = await newItem(t, b, { qty: 10 });
  for (let i = 0; i < 3; i++) {
    const order = await orderOf(t, b, itemB.id, 1, 100, { customer_ref: 'alice' });
    await setCreatedAt(order.id, BASE + i * HOUR);
    knownB.push(order.id);
  }
});
afterAll(() => t.close());

type Sort = 'newest' | 'oldest' | 'highest_value' | 'lowest_value';
const byId = (x: Known, y: Known) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);
const COMPARE: Record<Sort, (x: Known, y: Known) => number> = {
  newest: (x, y) => y.created - x.created || -byId(x, y),
  oldest: (x, y) => x.created - y.created || byId(x, y),
  highest_value: (x, y) => y.total - x.total || -byId(x, y),
  lowest_value: (x, y) => x.total - y.total || byId(x, y),
};

const T5 = BASE + 5 * HOUR;
const T15 = BASE + 15 * HOUR;
const FILTERS: [string, (o: Known) => boolean][] = [
  ['', () => true],
  ['status=confirmed', (o) => o.status === 'confirmed'],
  ['status=pending&status=cancelled', (o) => o.status === 'pending' || o.status === 'cancelled'],
  ['status=pending,cancelled,delivered', (o) => ['pending', 'cancelled', 'delivered'].includes(o.status)],
  [`created_from=${iso(T5)}&created_to=${iso(T15)}`, (o) => o.created >= T5 && o.created < T15],
  ['min_total=200&max_total=999', (o) => o.total >= 200 && o.total <= 999],
  [
    'customer_ref=alice&status=confirmed,shipped,pending',
    (o) => o.ref === 'alice' && ['confirmed', 'shipped', 'pending'].includes(o.status),
  ],
  [
    `customer_ref=bob&min_total=250&created_to=${iso(BASE + 20 * HOUR)}`,
    (o) => o.ref === 'bob' && o.total >= 250 && o.created < BASE + 20 * HOUR,
  ],
  ['status=processing&min_total=100000', () => false],
];

describe('GET /api/orders: sorts, filters, keyset pages', () => {
  it('the fixture has what the filters need (ties, bounds hit exactly)', () => {
    expect(known.filter((o) => o.created === BASE + 3 * HOUR).length).toBeGreaterThan(1);
    expect(known.some((o) => o.created === T5) && known.some((o) => o.created === T15)).toBe(true);
    expect(known.some((o) => o.total === 200) && known.some((o) => o.total === 999)).toBe(true);
    expect(new Set(known.map((o) => o.total)).size).toBeLessThan(known.length);
  });

  const SORTS: Sort[] = ['newest', 'oldest', 'highest_value', 'lowest_value'];
  describe.each(SORTS)('sort=%s', (sort) => {
    it.each(FILTERS)('filter "%s"', async (query, keep) => {
      const expected = known
        .filter(keep)
        .sort(COMPARE[sort])
        .map((o) => o.id);
      const pages = await orderPages(t, a, [query, `sort=${sort}`].filter(Boolean).join('&'), 4);
      expect(pages.flat().map((o) => o.id)).toEqual(expected);
      expect(pages).toHaveLength(Math.max(1, Math.ceil(expected.length / 4)));
    });
  });

  it('newest is the default sort; 20 the default limit', async () => {
    const res = await t.http.get('/api/orders').set(a.auth).expect(200);
    expect(res.body.page.limit).toBe(20);
    expect(res.body.data.map((o: { id: string }) => o.id)).toEqual(
      [...known]
        .sort(COMPARE.newest)
        .slice(0, 20)
        .map((o) => o.id),
    );
  });

  it('list rows carry their lines, not their history, and match GET one', async () => {
    const [first] = (await orderPages(t, a, 'sort=highest_value', 1))[0]!;
    const { history, ...one } = await getOrder(t, a, first!.id);
    expect(history!.length).toBeGreaterThan(0);
    expect(first).toEqual(one);
    expect(first!.lines.length).toBeGreaterThan(0);
  });

  it("another tenant's orders never appear", async () => {
    const ofB = (await orderPages(t, b, 'customer_ref=alice', 2)).flat().map((o) => o.id);
    expect(ofB.sort()).toEqual([...knownB].sort());
    const ofA = (await orderPages(t, a, 'customer_ref=alice', 100)).flat().map((o) => o.id);
    expect(ofA.filter((id) => knownB.includes(id))).toEqual([]);
  });
});

describe('cursors', () => {
  it.each(['oldest', 'lowest_value'])(
    'survive inserts between pages (sort=%s): no duplicates, no skips',
    async (sort) => {
      const c = await newTenant(t);
      const item = await newItem(t, c, { qty: 100 });
      const before: string[] = [];
      for (let i = 0; i < 6; i++) {
        const o = await orderOf(t, c, item.id, 1, 10 * (i + 1));
        await setCreatedAt(o.id, BASE + i * HOUR);
        before.push(o.id);
      }
      const first = await t.http.get(`/api/orders?sort=${sort}&limit=2`).set(c.auth).expect(200);
      expect(first.body.data.map((o: { id: string }) => o.id)).toEqual(before.slice(0, 2));
      // One new order lands behind the cursor (already passed), one ahead of it.
      const behind = await orderOf(t, c, item.id, 1, 1);
      await setCreatedAt(behind.id, BASE - HOUR);
      const ahead = await orderOf(t, c, item.id, 1, 1000);
      const rest = (await orderPages(t, c, `sort=${sort}`, 2, first.body.page.next_cursor)).flat();
      expect(rest.map((o) => o.id)).toEqual([...before.slice(2), ahead.id]);
    },
  );

  it('a cursor is tied to its sort and tamper-evident', async () => {
    const page = await t.http.get('/api/orders?sort=oldest&limit=2').set(a.auth).expect(200);
    const cursor: string = page.body.page.next_cursor;
    expect(typeof cursor).toBe('string');
    const [payload, signature] = cursor.split('.');
    const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const forged = Buffer.from(JSON.stringify([decoded[0], '1999-01-01T00:00:00.000000Z', decoded[2]])).toString(
      'base64url',
    );
    const bad = [
      `${forged}.${signature}`,
      `${payload}.${signature!.slice(0, -1)}${signature!.endsWith('A') ? 'B' : 'A'}`,
      `${payload}`,
      'not-a-cursor',
      `${cursor}.x`,
    ];
    for (const c of bad) {
      await expectUnchanged(
        t,
        a,
        () => t.http.get('/api/orders').set(a.auth).query({ sort: 'oldest', cursor: c }),
        400,
        'invalid_cursor',
      );
    }
    for (const sort of ['newest', 'highest_value', 'lowest_value']) {
      await expectUnchanged(
        t,
        a,
        () => t.http.get('/api/orders').set(a.auth).query({ sort, cursor }),
        400,
        'invalid_cursor',
      );
    }
    await expectUnchanged(t, a, () => t.http.get('/api/orders').set(a.auth).query({ cursor }), 400, 'invalid_cursor'); // default sort is newest
    const reservations = await t.http.get('/api/reservations?limit=1').set(a.auth).expect(200);
    if (reservations.body.page.next_cursor) {
      await expectUnchanged(
        t,
        a,
        () => t.http.get('/api/orders').set(a.auth).query({ cursor: reservations.body.page.next_cursor }),
        400,
        'invalid_cursor',
      );
    }
  });
});

describe('query validation', () => {
  it.each([
    'status=bogus',
    'status=pending,bogus',
    'limit=0',
    'limit=101',
    'limit=1.5',
    'limit=abc',
    'min_total=-1',
    'max_total=abc',
    `max_total=${Number.MAX_SAFE_INTEGER + 1}`,
    'created_from=yesterday',
    'created_to=2024-13-01',
    'sort=bad',
    'sort=',
    'foo=1',
  ])('%s → 400 validation_failed', async (query) => {
    const res = await t.http.get(`/api/orders?${query}`).set(a.auth);
    expectError(res, 400, 'validation_failed');
  });

  it('no key → 401', async () => {
    expectError(await t.http.get('/api/orders'), 401, 'unauthorized');
  });
});

describe('query count', () => {
  const queriesOf = (path: string) => countQueries(() => t.http.get(path).set(a.auth).expect(200));

  it('at most 3 queries per GET /api/orders, whatever the page size (auth included)', async () => {
    const big = await queriesOf('/api/orders?limit=100');
    const small = await queriesOf('/api/orders?limit=1');
    const filtered = await queriesOf('/api/orders?limit=100&status=confirmed,pending&sort=highest_value&min_total=1');
    expect(big).toBeGreaterThanOrEqual(2); // the spy sees the auth lookup and the list: it is really counting
    expect(big).toBeLessThanOrEqual(3);
    expect(small).toBe(big);
    expect(filtered).toBe(big);
  });
});
