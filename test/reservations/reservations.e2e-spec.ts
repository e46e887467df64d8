import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import {
  auditOf,
  countQueries,
  PREAMBLE_QUERIES,
  expectUnchanged,
  newItem,
  newTenant,
  snapshot,
  type TestTenant,
} from '../support/fixtures.js';
import { newWarehouse, stockRow } from '../support/stock.js';
import {
  assertInvariant,
  commitBySql,
  extend,
  getReservation,
  lapse,
  release,
  type ReservationData,
  reservationStatus,
  reserve,
  reserveOk,
} from '../support/reservations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('reservations: create, read, release, extend, list, isolation', () => {
  let t: TestApp;
  let A: TestTenant;
  let B: TestTenant;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    A = await newTenant(t);
    B = await newTenant(t);
  });
  afterAll(() => t.close());

  const ms = (iso: string) => new Date(iso).getTime();

  it('creates a hold: 201 with the documented shape, units reserved, one reservation.created audit row', async () => {
    const item = await newItem(t, A, { qty: 5 });
    const res = await reserve(t, A, {
      lines: [{ item_id: item.id, quantity: 2 }],
      reference: '  cart-1 ',
      ttl_seconds: 120,
    });
    expect(res.status).toBe(201);
    const data: ReservationData = res.body.data;
    expect(Object.keys(data).sort()).toEqual([
      'created_at',
      'expires_at',
      'id',
      'lines',
      'reference',
      'status',
      'updated_at',
    ]);
    expect(data).toMatchObject({
      status: 'active',
      reference: 'cart-1',
      lines: [{ item_id: item.id, warehouse_id: A.defaultWarehouseId, quantity: 2 }],
    });
    expect(ms(data.expires_at) - ms(data.created_at)).toBe(120_000);
    expect(await stockRow(t, item.id, A.defaultWarehouseId)).toEqual({ on_hand: 5, reserved: 2 });

    const audit = await auditOf(t, A.id, 'reservation.created', data.id);
    expect(audit).toEqual([
      expect.objectContaining({
        actor: `api_key:${A.keyId}`,
        request_id: res.headers['x-request-id'],
        new_value: data,
      }),
    ]);
    expect((await getReservation(t, A, data.id).expect(200)).body.data).toEqual(data);

    // Without ttl_seconds the hold lasts the default 600 s; without reference it is null.
    const plain = await reserveOk(t, A, { lines: [{ item_id: item.id, quantity: 1 }] });
    expect(plain.reference).toBeNull();
    expect(ms(plain.expires_at) - ms(plain.created_at)).toBe(600_000);
    await assertInvariant(t, A.id);
  });

  it('short: 400 insufficient_stock names every short line with what is available, and changes nothing', async () => {
    const x = await newItem(t, A, { qty: 3 });
    const y = await newItem(t, A, { qty: 0 });
    const z = await newItem(t, A, { qty: 10 });
    await reserveOk(t, A, { lines: [{ item_id: x.id, quantity: 1 }] });
    const res = await expectUnchanged(
      t,
      A,
      () =>
        reserve(t, A, {
          lines: [
            { item_id: z.id, quantity: 1 },
            { item_id: x.id, quantity: 3 },
            { item_id: y.id, quantity: 1, warehouse_id: A.defaultWarehouseId },
          ],
        }),
      400,
      'insufficient_stock',
    );
    expect(res.body.details).toHaveLength(2);
    expect(res.body.details).toEqual(
      expect.arrayContaining([
        { item_id: x.id, requested: 3, available: 2 },
        { item_id: y.id, warehouse_id: A.defaultWarehouseId, requested: 1, available: 0 },
      ]),
    );
    // Exactly the available units can still be taken.
    await reserveOk(t, A, { lines: [{ item_id: x.id, quantity: 2 }] });
    expect(await stockRow(t, x.id, A.defaultWarehouseId)).toEqual({ on_hand: 3, reserved: 3 });
  });

  it('release: 200 released, units back, one reservation.released row; releasing again is a no-op 200', async () => {
    const item = await newItem(t, A, { qty: 4 });
    const r = await reserveOk(t, A, { lines: [{ item_id: item.id, quantity: 3 }] });
    const res = await release(t, A, r.id);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ id: r.id, status: 'released', lines: r.lines, expires_at: r.expires_at });
    expect(await stockRow(t, item.id, A.defaultWarehouseId)).toEqual({ on_hand: 4, reserved: 0 });
    expect(await auditOf(t, A.id, 'reservation.released', r.id)).toEqual([
      {
        actor: `api_key:${A.keyId}`,
        action: 'reservation.released',
        object_type: 'reservation',
        object_id: r.id,
        old_value: { status: 'active' },
        new_value: { status: 'released' },
        request_id: res.headers['x-request-id'],
      },
    ]);

    const before = await snapshot(t, A.id);
    const again = await release(t, A, r.id);
    expect(again.status).toBe(200);
    expect(again.body.data.status).toBe('released');
    expect(await snapshot(t, A.id)).toEqual(before);
    await assertInvariant(t, A.id);
  });

  it('a committed hold can be neither released nor extended (400 invalid_transition, nothing changes)', async () => {
    const item = await newItem(t, A, { qty: 4 });
    const r = await reserveOk(t, A, { lines: [{ item_id: item.id, quantity: 3 }] });
    await commitBySql(t, r.id);
    await assertInvariant(t, A.id);
    const rel = await expectUnchanged(t, A, () => release(t, A, r.id), 400, 'invalid_transition');
    expect(rel.body.details).toEqual([{ status: 'committed', allowed: [] }]);
    await expectUnchanged(t, A, () => extend(t, A, r.id, { ttl_seconds: 60 }), 400, 'invalid_transition');
    expect((await getReservation(t, A, r.id).expect(200)).body.data.status).toBe('committed');
  });

  it('extend: 200 moves expires_at to now + ttl with a reservation.extended row; a released hold → 400 invalid_transition', async () => {
    const item = await newItem(t, A, { qty: 2 });
    const r = await reserveOk(t, A, { lines: [{ item_id: item.id, quantity: 1 }], ttl_seconds: 30 });
    const res = await extend(t, A, r.id, { ttl_seconds: 3600 });
    expect(res.status).toBe(200);
    const [{ now }] = await t.db.query('SELECT now() AS now');
    const expires = ms(res.body.data.expires_at);
    expect(expires).toBeGreaterThan(ms(r.expires_at));
    expect(Math.abs(expires - (now.getTime() + 3_600_000))).toBeLessThan(5_000);
    expect(res.body.data).toMatchObject({ status: 'active', lines: r.lines, created_at: r.created_at });
    expect(await auditOf(t, A.id, 'reservation.extended', r.id)).toEqual([
      expect.objectContaining({
        actor: `api_key:${A.keyId}`,
        request_id: res.headers['x-request-id'],
        old_value: { expires_at: r.expires_at },
        new_value: { expires_at: res.body.data.expires_at, ttl_seconds: 3600 },
      }),
    ]);
    expect(await stockRow(t, item.id, A.defaultWarehouseId)).toEqual({ on_hand: 2, reserved: 1 });

    await release(t, A, r.id).expect(200);
    const bad = await expectUnchanged(t, A, () => extend(t, A, r.id, { ttl_seconds: 60 }), 400, 'invalid_transition');
    expect(bad.body.details).toEqual([{ status: 'released', allowed: [] }]);
  });

  it('unknown and malformed ids are 404 for get, release and extend', async () => {
    for (const id of [randomUUID(), 'not-a-uuid', '123']) {
      await expectUnchanged(t, A, () => getReservation(t, A, id), 404, 'not_found');
      await expectUnchanged(t, A, () => release(t, A, id), 404, 'not_found');
      await expectUnchanged(t, A, () => extend(t, A, id, { ttl_seconds: 60 }), 404, 'not_found');
    }
  });

  describe('list', () => {
    let C: TestTenant;
    const r: Record<string, ReservationData> = {};

    beforeAll(async () => {
      C = await newTenant(t);
      const item = await newItem(t, C, { qty: 100 });
      const hold = (reference?: string) =>
        reserveOk(t, C, { lines: [{ item_id: item.id, quantity: 1 }], ...(reference ? { reference } : {}) });
      r.active = await hold('a');
      r.released = await hold('a');
      r.lapsed = await hold('b');
      r.committed = await hold('b');
      r.plain = await hold();
      await release(t, C, r.released!.id).expect(200);
      await lapse(t, r.lapsed!.id);
      await commitBySql(t, r.committed!.id);
    });

    const ids = async (query: Record<string, string | number>) => {
      const res = await t.http.get('/api/reservations').set(C.auth).query(query).expect(200);
      return (res.body.data as ReservationData[]).map((x) => x.id);
    };

    it('filters by effective status and by reference, newest first', async () => {
      expect(await ids({ status: 'active' })).toEqual([r.plain!.id, r.active!.id]);
      expect(await ids({ status: 'released' })).toEqual([r.released!.id]);
      expect(await ids({ status: 'committed' })).toEqual([r.committed!.id]);
      // Lapsed and (usually) not swept: the raw column says active, every read says expired.
      // Another test file's sweep() is global and may have expired it already; reads agree either way.
      expect(['active', 'expired']).toContain(await reservationStatus(t, r.lapsed!.id));
      expect(await ids({ status: 'expired' })).toEqual([r.lapsed!.id]);
      const all = await t.http.get('/api/reservations').set(C.auth).expect(200);
      expect(all.body.data.find((x: ReservationData) => x.id === r.lapsed!.id).status).toBe('expired');
      expect(await ids({ reference: 'a' })).toEqual([r.released!.id, r.active!.id]);
      expect(await ids({ reference: 'b', status: 'expired' })).toEqual([r.lapsed!.id]);
      expect(await ids({ reference: 'b', status: 'active' })).toEqual([]);
      expect(await ids({ reference: 'nope' })).toEqual([]);
    });

    it('cursor pagination returns every reservation once, newest first, ties on created_at broken by id', async () => {
      const D = await newTenant(t);
      const item = await newItem(t, D, { qty: 100 });
      const made: string[] = [];
      for (let i = 0; i < 7; i++) made.push((await reserveOk(t, D, { lines: [{ item_id: item.id, quantity: 1 }] })).id);
      // Four of them share one created_at (to the microsecond): only the id can order them.
      await t.db.query(
        `UPDATE reservation SET created_at = now() - interval '1 hour 0.123456 second' WHERE id = ANY($1::uuid[])`,
        [made.slice(1, 5)],
      );
      const expected = (
        await t.db.query('SELECT id FROM reservation WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC', [D.id])
      ).map((row: { id: string }) => row.id);

      const pages: string[][] = [];
      let cursor: string | null = null;
      do {
        const res: Response = await t.http
          .get('/api/reservations')
          .set(D.auth)
          .query({ limit: 2, ...(cursor ? { cursor } : {}) })
          .expect(200);
        expect(res.body.page.limit).toBe(2);
        pages.push(res.body.data.map((x: ReservationData) => x.id));
        cursor = res.body.page.next_cursor;
      } while (cursor && pages.length < 10);
      expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 1]);
      expect(pages.flat()).toEqual(expected);

      const whole = await t.http.get('/api/reservations').set(D.auth).query({ limit: 7 }).expect(200);
      expect(whole.body.page.next_cursor).toBeNull();
      expect(whole.body.data.map((x: ReservationData) => x.id)).toEqual(expected);
    });

    it('bad limit, status, cursor or unknown parameter → 400', async () => {
      const get = (query: Record<string, string>) => () => t.http.get('/api/reservations').set(C.auth).query(query);
      for (const limit of ['0', '101', '1.5', 'abc', '-1']) {
        await expectUnchanged(t, C, get({ limit }), 400, 'validation_failed');
      }
      await expectUnchanged(t, C, get({ status: 'pending' }), 400, 'validation_failed');
      await expectUnchanged(t, C, get({ foo: 'bar' }), 400, 'validation_failed');
      await expectUnchanged(t, C, get({ cursor: 'garbage' }), 400, 'invalid_cursor');

      const page = await t.http.get('/api/reservations').set(C.auth).query({ limit: 1 }).expect(200);
      const good: string = page.body.page.next_cursor;
      expect(good).toEqual(expect.any(String));
      const [payload, sig] = good.split('.');
      const forged = Buffer.from(
        JSON.stringify(['reservations', '2999-01-01T00:00:00.000000Z', randomUUID()]),
      ).toString('base64url');
      await expectUnchanged(t, C, get({ cursor: `${forged}.${sig}` }), 400, 'invalid_cursor');
      const flipped = `${payload}.${sig!.slice(0, -1)}${sig!.endsWith('A') ? 'B' : 'A'}`;
      await expectUnchanged(t, C, get({ cursor: flipped }), 400, 'invalid_cursor');
      // A cursor of another list is refused.
      await newWarehouse(t, C);
      const wh = await t.http.get('/api/warehouses').set(C.auth).query({ limit: 1 }).expect(200);
      expect(wh.body.page.next_cursor).toEqual(expect.any(String));
      await expectUnchanged(t, C, get({ cursor: wh.body.page.next_cursor }), 400, 'invalid_cursor');
    });
  });

  it("tenant isolation: B can neither see, get, release nor extend A's reservation", async () => {
    const item = await newItem(t, A, { qty: 3 });
    const r = await reserveOk(t, A, { lines: [{ item_id: item.id, quantity: 2 }], reference: 'iso-ref' });
    await expectUnchanged(t, [A, B], () => getReservation(t, B, r.id), 404, 'not_found');
    await expectUnchanged(t, [A, B], () => release(t, B, r.id), 404, 'not_found');
    await expectUnchanged(t, [A, B], () => extend(t, B, r.id, { ttl_seconds: 60 }), 404, 'not_found');
    await expectUnchanged(
      t,
      [A, B],
      () => reserve(t, B, { lines: [{ item_id: item.id, quantity: 1 }] }),
      404,
      'not_found',
    );
    const listed = await t.http.get('/api/reservations').set(B.auth).query({ reference: 'iso-ref' }).expect(200);
    expect(listed.body.data).toEqual([]);
    expect((await getReservation(t, A, r.id).expect(200)).body.data).toEqual(r);
    await assertInvariant(t, A.id);
  });

  it('round trips: a reservation is the same few statements whatever its lines (the key lookup included)', async () => {
    const items = await Promise.all(Array.from({ length: 12 }, () => newItem(t, A, { qty: 5 })));
    await newWarehouse(t, A); // a second warehouse: allocation over several rows changes nothing either
    const queriesOf = (body: unknown) => countQueries(() => reserve(t, A, body).expect(201));
    const one = await queriesOf({ lines: [{ item_id: items[0]!.id, quantity: 1 }] });
    const many = await queriesOf({ lines: items.map((i) => ({ item_id: i.id, quantity: 2 })), reference: 'many' });
    // The key lookup, BEGIN, the lock, the write, COMMIT: the spy is really counting.
    expect(one).toBeGreaterThanOrEqual(4 + PREAMBLE_QUERIES);
    expect(one).toBeLessThanOrEqual(5 + PREAMBLE_QUERIES);
    expect(many).toBe(one);
    await assertInvariant(t, A.id);
  });
});
