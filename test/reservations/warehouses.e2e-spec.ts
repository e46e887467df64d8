import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import { auditOf, expectUnchanged, newItem, newTenant, tally, type TestTenant } from '../support/fixtures.js';
import { addStock, newWarehouse, reservedByWarehouse, stockRow, type WarehouseData } from '../support/stock.js';
import { assertInvariant, release, reserve, reserveOk, sortLines } from '../support/reservations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('warehouses', () => {
  let t: TestApp;
  let A: TestTenant;
  let B: TestTenant;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    A = await newTenant(t);
    B = await newTenant(t);
  });
  afterAll(() => t.close());

  const create = (tenant: TestTenant, body: unknown) =>
    t.http
      .post('/api/warehouses')
      .set(tenant.auth)
      .send(body as object);

  it('creates a warehouse: 201, trimmed name, priority 0 by default, one warehouse.created audit row', async () => {
    const res = await create(A, { code: 'BER-1', name: '  Berlin  ' });
    expect(res.status).toBe(201);
    const w: WarehouseData = res.body.data;
    expect(w).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      code: 'BER-1',
      name: 'Berlin',
      priority: 0,
      is_default: false,
      active: true,
      created_at: expect.any(String),
    });
    expect(await auditOf(t, A.id, 'warehouse.created', w.id)).toEqual([
      expect.objectContaining({ actor: `api_key:${A.keyId}`, request_id: res.headers['x-request-id'], new_value: w }),
    ]);
    expect((await t.http.get(`/api/warehouses/${w.id}`).set(A.auth).expect(200)).body.data).toEqual(w);
    const withPriority = await create(A, { code: 'HAM_2.x', name: 'Hamburg', priority: -1_000_000 });
    expect(withPriority.status).toBe(201);
    expect(withPriority.body.data.priority).toBe(-1_000_000);
  });

  it('a duplicate code is 400 duplicate_code and changes nothing; another tenant may use the same code', async () => {
    await newWarehouse(t, A, { code: 'DUP-1' });
    await expectUnchanged(t, [A, B], () => create(A, { code: 'DUP-1', name: 'again' }), 400, 'duplicate_code');
    expect((await create(B, { code: 'DUP-1', name: 'mine' })).status).toBe(201);
  });

  it('racing creates of one code: exactly one 201, the rest 400 duplicate_code', async () => {
    const code = `RACE-${randomUUID().slice(0, 6)}`;
    const responses = await Promise.all(Array.from({ length: 6 }, (_, i) => create(A, { code, name: `n${i}` })));
    expect(tally(responses)).toEqual({ '201': 1, '400 duplicate_code': 5 });
    expect(await t.db.query('SELECT 1 FROM warehouse WHERE tenant_id = $1 AND code = $2', [A.id, code])).toHaveLength(
      1,
    );
  });

  it.each<[string, unknown]>([
    ['missing code', { name: 'x' }],
    ['empty code', { code: '', name: 'x' }],
    ['code starting with a dash', { code: '-A', name: 'x' }],
    ['code with a space', { code: 'A B', name: 'x' }],
    ['code of 65 characters', { code: 'A'.repeat(65), name: 'x' }],
    ['code as a number', { code: 12, name: 'x' }],
    ['missing name', { code: 'V-1' }],
    ['blank name', { code: 'V-1', name: '   ' }],
    ['name of 256 characters', { code: 'V-1', name: 'n'.repeat(256) }],
    ['name null', { code: 'V-1', name: null }],
    ['priority 1.5', { code: 'V-1', name: 'x', priority: 1.5 }],
    ['priority "1"', { code: 'V-1', name: 'x', priority: '1' }],
    ['priority true', { code: 'V-1', name: 'x', priority: true }],
    ['priority null', { code: 'V-1', name: 'x', priority: null }],
    ['priority above 1e6', { code: 'V-1', name: 'x', priority: 1_000_001 }],
    ['unknown field', { code: 'V-1', name: 'x', is_default: true }],
  ])('create with %s → 400 validation_failed, nothing changes', async (_label, body) => {
    await expectUnchanged(t, A, () => create(A, body), 400, 'validation_failed');
  });

  it('a NUL character in the name is a 400 validation_failed, not a 500', async () => {
    await expectUnchanged(t, A, () => create(A, { code: 'NUL-1', name: 'bad\u0000name' }), 400, 'validation_failed');
  });

  it("get: unknown, malformed and another tenant's id are 404", async () => {
    const w = await newWarehouse(t, A);
    for (const id of [randomUUID(), 'nope', '1']) {
      await expectUnchanged(t, A, () => t.http.get(`/api/warehouses/${id}`).set(A.auth), 404, 'not_found');
    }
    await expectUnchanged(t, [A, B], () => t.http.get(`/api/warehouses/${w.id}`).set(B.auth), 404, 'not_found');
  });

  it('list: allocation order (priority, then id), cursor pagination over every warehouse, bad parameters 400', async () => {
    const C = await newTenant(t);
    for (const priority of [5, -3, 5, 0, 7, -3]) await newWarehouse(t, C, { priority });
    const expected = (
      await t.db.query('SELECT id FROM warehouse WHERE tenant_id = $1 ORDER BY priority, id', [C.id])
    ).map((r: { id: string }) => r.id);
    expect(expected).toHaveLength(7);

    const pages: string[][] = [];
    let cursor: string | null = null;
    do {
      const res: Response = await t.http
        .get('/api/warehouses')
        .set(C.auth)
        .query({ limit: 3, ...(cursor ? { cursor } : {}) })
        .expect(200);
      pages.push(res.body.data.map((w: WarehouseData) => w.id));
      cursor = res.body.page.next_cursor;
    } while (cursor && pages.length < 10);
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat()).toEqual(expected);
    const all = await t.http.get('/api/warehouses').set(C.auth).expect(200);
    expect(all.body.page).toEqual({ next_cursor: null, limit: 20 });
    expect(all.body.data.map((w: WarehouseData) => w.id)).toEqual(expected);

    const get = (query: Record<string, string>) => () => t.http.get('/api/warehouses').set(C.auth).query(query);
    for (const limit of ['0', '101', '2.5', 'x']) await expectUnchanged(t, C, get({ limit }), 400, 'validation_failed');
    await expectUnchanged(t, C, get({ cursor: 'not-a-cursor' }), 400, 'invalid_cursor');
    await expectUnchanged(t, C, get({ sort: 'code' }), 400, 'validation_failed');
    // B's list shows only B's warehouses.
    const theirs = await t.http.get('/api/warehouses').set(B.auth).query({ limit: 100 }).expect(200);
    expect(theirs.body.data.filter((w: WarehouseData) => expected.includes(w.id))).toEqual([]);
  });

  it('PATCH /items/:id/qty with a positive delta puts stock into a warehouse (creating its row), reservable there', async () => {
    const w = await newWarehouse(t, A);
    const item = await newItem(t, A, { qty: 0 });
    const res = await t.http.patch(`/api/items/${item.id}/qty`).set(A.auth).send({ delta: 4, warehouse_id: w.id });
    expect(res.status).toBe(200);
    expect(await stockRow(t, item.id, w.id)).toEqual({ on_hand: 4, reserved: 0 });
    const r = await reserveOk(t, A, { lines: [{ item_id: item.id, quantity: 4 }] });
    expect(r.lines).toEqual([{ item_id: item.id, warehouse_id: w.id, quantity: 4 }]);
  });

  describe('allocation of reservation lines over warehouses', () => {
    let T: TestTenant;
    let first: WarehouseData; // priority -5
    let last: WarehouseData; // priority 10
    // The default warehouse has priority 0.

    beforeAll(async () => {
      T = await newTenant(t);
      first = await newWarehouse(t, T, { priority: -5 });
      last = await newWarehouse(t, T, { priority: 10 });
    });

    /** An item with the given units in the default, first and last warehouses (no row when undefined). */
    const stocked = async (units: { def?: number; first?: number; last?: number }) => {
      const item = await newItem(t, T, { qty: units.def ?? 0 });
      if (units.first !== undefined) await addStock(t, T, item.id, units.first, first.id);
      if (units.last !== undefined) await addStock(t, T, item.id, units.last, last.id);
      return item;
    };

    it('a line without warehouse takes from lower priority first, splitting where one is not enough', async () => {
      const item = await stocked({ def: 3, first: 2, last: 5 });
      const r = await reserveOk(t, T, { lines: [{ item_id: item.id, quantity: 6 }] });
      expect(sortLines(r.lines)).toEqual(
        sortLines([
          { item_id: item.id, warehouse_id: first.id, quantity: 2 },
          { item_id: item.id, warehouse_id: T.defaultWarehouseId, quantity: 3 },
          { item_id: item.id, warehouse_id: last.id, quantity: 1 },
        ]),
      );
      expect(await reservedByWarehouse(t, item.id)).toEqual({ [first.id]: 2, [T.defaultWarehouseId]: 3, [last.id]: 1 });
      // Short over all warehouses together: requested vs. the sum of what is left.
      const short = await expectUnchanged(
        t,
        T,
        () => reserve(t, T, { lines: [{ item_id: item.id, quantity: 5 }] }),
        400,
        'insufficient_stock',
      );
      expect(short.body.details).toEqual([{ item_id: item.id, requested: 5, available: 4 }]);
      await assertInvariant(t, T.id);
    });

    it('warehouses of equal priority are used in order of id', async () => {
      const U = await newTenant(t);
      const w1 = await newWarehouse(t, U);
      const w2 = await newWarehouse(t, U);
      const ordered = [U.defaultWarehouseId, w1.id, w2.id].sort();
      const item = await newItem(t, U, { qty: 2 });
      await addStock(t, U, item.id, 2, w1.id);
      await addStock(t, U, item.id, 2, w2.id);
      const r = await reserveOk(t, U, { lines: [{ item_id: item.id, quantity: 3 }] });
      expect(sortLines(r.lines)).toEqual(
        sortLines([
          { item_id: item.id, warehouse_id: ordered[0]!, quantity: 2 },
          { item_id: item.id, warehouse_id: ordered[1]!, quantity: 1 },
        ]),
      );
    });

    it('a named warehouse is used exactly; its shortage names the warehouse, even when others have stock', async () => {
      const item = await stocked({ def: 5, first: 5, last: 2 });
      const r = await reserveOk(t, T, { lines: [{ item_id: item.id, quantity: 2, warehouse_id: last.id }] });
      expect(r.lines).toEqual([{ item_id: item.id, warehouse_id: last.id, quantity: 2 }]);
      const short = await expectUnchanged(
        t,
        T,
        () => reserve(t, T, { lines: [{ item_id: item.id, quantity: 1, warehouse_id: last.id }] }),
        400,
        'insufficient_stock',
      );
      expect(short.body.details).toEqual([{ item_id: item.id, warehouse_id: last.id, requested: 1, available: 0 }]);
      // A warehouse of the tenant where the item has no stock row at all.
      const none = await stocked({ def: 5 });
      const missing = await expectUnchanged(
        t,
        T,
        () => reserve(t, T, { lines: [{ item_id: none.id, quantity: 1, warehouse_id: first.id }] }),
        400,
        'insufficient_stock',
      );
      expect(missing.body.details).toEqual([{ item_id: none.id, warehouse_id: first.id, requested: 1, available: 0 }]);
    });

    it('duplicate lines are merged; named lines are served first, unnamed ones from what is left', async () => {
      const item = await stocked({ def: 4, first: 3 });
      const r = await reserveOk(t, T, {
        lines: [
          { item_id: item.id, quantity: 1 },
          { item_id: item.id, quantity: 2, warehouse_id: first.id },
          { item_id: item.id, quantity: 1 },
          { item_id: item.id, quantity: 1, warehouse_id: first.id },
        ],
      });
      // first: 3 named; the 2 unnamed units go to the default warehouse (first is used up).
      expect(sortLines(r.lines)).toEqual(
        sortLines([
          { item_id: item.id, warehouse_id: first.id, quantity: 3 },
          { item_id: item.id, warehouse_id: T.defaultWarehouseId, quantity: 2 },
        ]),
      );
      const short = await expectUnchanged(
        t,
        T,
        () =>
          reserve(t, T, {
            lines: [
              { item_id: item.id, quantity: 2 },
              { item_id: item.id, quantity: 1 },
            ],
          }),
        400,
        'insufficient_stock',
      );
      expect(short.body.details).toEqual([{ item_id: item.id, requested: 3, available: 2 }]);
      await assertInvariant(t, T.id);
    });

    it('release returns the units to exactly the rows they came from', async () => {
      const item = await stocked({ def: 2, first: 2, last: 2 });
      const keep = await reserveOk(t, T, { lines: [{ item_id: item.id, quantity: 1, warehouse_id: last.id }] });
      const r = await reserveOk(t, T, { lines: [{ item_id: item.id, quantity: 5 }] });
      expect(await reservedByWarehouse(t, item.id)).toEqual({ [first.id]: 2, [T.defaultWarehouseId]: 2, [last.id]: 2 });
      await release(t, T, r.id).expect(200);
      expect(await reservedByWarehouse(t, item.id)).toEqual({ [first.id]: 0, [T.defaultWarehouseId]: 0, [last.id]: 1 });
      expect(keep.lines).toEqual([{ item_id: item.id, warehouse_id: last.id, quantity: 1 }]);
      await assertInvariant(t, T.id);
    });

    it("an unknown or another tenant's warehouse is 404 not_found, and nothing changes", async () => {
      const item = await stocked({ def: 5 });
      const foreign = await newWarehouse(t, B);
      for (const warehouse_id of [randomUUID(), foreign.id, B.defaultWarehouseId]) {
        await expectUnchanged(
          t,
          [T, B],
          () => reserve(t, T, { lines: [{ item_id: item.id, quantity: 1, warehouse_id }] }),
          404,
          'not_found',
        );
      }
    });
  });
});
