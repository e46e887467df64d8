import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { allPages, expectError, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { itemMovements, listMovements, type MovementData, movementIdsNewestFirst } from '../support/ledger.js';
import { release, reserveOk } from '../support/reservations.js';
import { addStock, newWarehouse } from '../support/stock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// GET /api/stock-movements and GET /api/items/:id/movements: filters, keyset
// pages newest first, tenants apart, and strict input.

let t: TestApp;
let tenant: TestTenant;
let other: TestTenant;
let apple: string;
let pear: string;
let otherItem: string;
let w2: string;
let holdId: string;

beforeAll(async () => {
  t = await startTestApp({ ENABLE_CRON: 'false' });
  tenant = await newTenant(t);
  other = await newTenant(t);
  apple = (await newItem(t, tenant, { qty: 5 })).id;
  pear = (await newItem(t, tenant, { qty: 2 })).id;
  w2 = (await newWarehouse(t, tenant, { priority: 10 })).id; // holds come from the default warehouse first
  await addStock(t, tenant, apple, 7, w2);
  await t.http
    .patch(`/api/items/${pear}/qty`)
    .set(tenant.auth)
    .send({ delta: 4, type: 'received', reference: 'po:1' })
    .expect(200);
  await t.http.patch(`/api/items/${apple}/qty`).set(tenant.auth).send({ delta: -1, type: 'damaged' }).expect(200);
  holdId = (await reserveOk(t, tenant, { lines: [{ item_id: apple, quantity: 3 }] })).id;
  await release(t, tenant, holdId).expect(200);
  otherItem = (await newItem(t, other, { qty: 1 })).id;
});
afterAll(() => t.close());

const ids = (rows: MovementData[]) => rows.map((m) => m.id);

describe('GET /api/stock-movements', () => {
  it('lists every movement of the tenant once, newest first, with the full view', async () => {
    const res = await listMovements(t, tenant, { limit: 100 }).expect(200);
    expect(res.body.page).toEqual({ next_cursor: null, limit: 100 });
    expect(ids(res.body.data)).toEqual(await movementIdsNewestFirst(t, tenant.id));
    expect(res.body.data).toHaveLength(7);
    const damaged = res.body.data.find((m: MovementData) => m.type === 'damaged');
    expect(damaged).toEqual({
      id: expect.stringMatching(/^\d+$/),
      item_id: apple,
      warehouse_id: tenant.defaultWarehouseId,
      seq: 2,
      type: 'damaged',
      on_hand_delta: -1,
      reserved_delta: 0,
      on_hand_after: 4,
      reserved_after: 0,
      available_after: 4,
      reason: null,
      reference: null,
      actor: `api_key:${tenant.keyId}`,
      request_id: expect.any(String),
      created_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    const hold = res.body.data.find((m: MovementData) => m.type === 'reserved');
    expect(hold).toMatchObject({ reserved_after: 3, on_hand_after: 4, available_after: 1 });
  });

  it('pages of 3 follow the cursor through every movement once, in order', async () => {
    const pages = await allPages<MovementData>(t, tenant, '/api/stock-movements', { limit: 3 });
    expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
    expect(pages.flat().map((m) => m.id)).toEqual(await movementIdsNewestFirst(t, tenant.id));
  });

  it.each([
    ['item_id', () => ({ item_id: apple }), () => `item_id = '${apple}'`],
    ['warehouse_id', () => ({ warehouse_id: w2 }), () => `warehouse_id = '${w2}'`],
    ['type', () => ({ type: 'received' }), () => `type = 'received'`],
    ['reference', () => ({ reference: `reservation:${holdId}` }), () => `reference = 'reservation:${holdId}'`],
    [
      'item_id and type',
      () => ({ item_id: apple, type: 'received' }),
      () => `item_id = '${apple}' AND type = 'received'`,
    ],
    [
      'warehouse_id and reference',
      () => ({ warehouse_id: tenant.defaultWarehouseId, reference: 'po:1' }),
      () => `warehouse_id = '${tenant.defaultWarehouseId}' AND reference = 'po:1'`,
    ],
  ])('filters by %s, every page', async (_name, query, where) => {
    const expected = await movementIdsNewestFirst(t, tenant.id, where());
    expect(expected.length).toBeGreaterThan(0);
    const pages = await allPages<MovementData>(t, tenant, '/api/stock-movements', { ...query(), limit: 2 });
    expect(pages.flat().map((m) => m.id)).toEqual(expected);
  });

  it('from is inclusive, to exclusive', async () => {
    const all: MovementData[] = (await listMovements(t, tenant, { limit: 100 }).expect(200)).body.data;
    const middle = all[4]!;
    const [{ ts }] = await t.db.query(
      `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts FROM stock_movement WHERE id = $1`,
      [middle.id],
    );
    const from = ids((await listMovements(t, tenant, { from: ts, limit: 100 }).expect(200)).body.data);
    const to = ids((await listMovements(t, tenant, { to: ts, limit: 100 }).expect(200)).body.data);
    expect(from).toEqual(await movementIdsNewestFirst(t, tenant.id, `created_at >= '${ts}'`));
    expect(from).toContain(middle.id);
    expect(to).toEqual(await movementIdsNewestFirst(t, tenant.id, `created_at < '${ts}'`));
    expect(to).not.toContain(middle.id);
    expect([...from, ...to].sort()).toEqual(ids(all).sort());
  });

  it("never lists another tenant's movements, not even by its item id", async () => {
    const mine = ids((await listMovements(t, tenant, { limit: 100 }).expect(200)).body.data);
    const theirs = (await listMovements(t, other, { limit: 100 }).expect(200)).body.data;
    expect(theirs.map((m: MovementData) => m.item_id)).toEqual([otherItem]);
    expect(mine).not.toContain(theirs[0].id);
    const res = await listMovements(t, tenant, { item_id: otherItem }).expect(200);
    expect(res.body).toMatchObject({ data: [], page: { next_cursor: null, limit: 20 } });
  });
});

describe('GET /api/items/:id/movements', () => {
  it("lists the item's movements newest first, with the same filters", async () => {
    const pages = await allPages<MovementData>(t, tenant, `/api/items/${apple}/movements`, { limit: 2 });
    expect(pages.flat().map((m) => m.id)).toEqual(await movementIdsNewestFirst(t, tenant.id, `item_id = '${apple}'`));
    const held = (
      await itemMovements(t, tenant, apple, { warehouse_id: tenant.defaultWarehouseId, type: 'reserved' }).expect(200)
    ).body.data;
    expect(held).toEqual([expect.objectContaining({ type: 'reserved', reference: `reservation:${holdId}` })]);
  });

  it('is 404 for an unknown item, another tenant’s item and a non-UUID; an empty page of a known item is 200', async () => {
    expectError(await itemMovements(t, tenant, '00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    expectError(await itemMovements(t, tenant, otherItem), 404, 'not_found');
    expectError(await itemMovements(t, tenant, 'nope'), 404, 'not_found');
    const none = await itemMovements(t, tenant, pear, { type: 'expired' }).expect(200);
    expect(none.body.data).toEqual([]);
    const fresh = await newItem(t, tenant);
    expect((await itemMovements(t, tenant, fresh.id).expect(200)).body.data).toEqual([]);
  });

  it("keeps a deleted item's movements readable", async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    await t.http.patch(`/api/items/${item.id}/qty`).set(tenant.auth).send({ delta: -2 }).expect(200);
    await t.http.delete(`/api/items/${item.id}`).set(tenant.auth).expect(204);
    const res = await itemMovements(t, tenant, item.id).expect(200);
    expect(res.body.data.map((m: MovementData) => [m.seq, m.type, m.on_hand_after])).toEqual([
      [2, 'adjusted', 0],
      [1, 'received', 2],
    ]);
  });
});

describe('bad input is a JSON 400', () => {
  const itemsCursor = async () =>
    (await t.http.get('/api/items').set(tenant.auth).query({ limit: 1 }).expect(200)).body.page.next_cursor;

  it.each([
    [{ foo: '1' }],
    [{ limit: '0' }],
    [{ limit: '101' }],
    [{ limit: '1.5' }],
    [{ limit: 'abc' }],
    [{ type: 'teleported' }],
    [{ type: 'RECEIVED' }],
    [{ from: 'yesterday' }],
    [{ to: '2026-13-01T00:00:00Z' }],
    [{ from: '2026-02-30' }],
    [{ item_id: 'not-a-uuid' }],
    [{ warehouse_id: '123' }],
    [{ reference: '' }],
    [{ reference: 'x'.repeat(256) }],
  ])('%j → validation_failed', async (query) => {
    expectError(await listMovements(t, tenant, query), 400, 'validation_failed');
    expectError(await itemMovements(t, tenant, apple, query), 400, 'validation_failed');
  });

  it('item_id is not a filter of the item route; repeated parameters are refused', async () => {
    expectError(await itemMovements(t, tenant, apple, { item_id: pear }), 400, 'validation_failed');
    expectError(
      await t.http.get('/api/stock-movements?type=received&type=damaged').set(tenant.auth),
      400,
      'validation_failed',
    );
  });

  it('a forged, truncated or foreign cursor is invalid_cursor', async () => {
    const first = await listMovements(t, tenant, { limit: 1 }).expect(200);
    const cursor: string = first.body.page.next_cursor;
    for (const bad of [
      'garbage',
      `${cursor}x`,
      cursor.slice(0, -2),
      `e30.${cursor.split('.')[1]}`,
      await itemsCursor(),
    ]) {
      expectError(await listMovements(t, tenant, { cursor: bad }), 400, 'invalid_cursor');
    }
    // A cursor is a position: the next page of the item route takes one too.
    await itemMovements(t, tenant, apple, { cursor }).expect(200);
  });

  it('no key is 401', async () => {
    expectError(await t.http.get('/api/stock-movements'), 401, 'unauthorized');
    expectError(await t.http.get(`/api/items/${apple}/movements`), 401, 'unauthorized');
  });
});
