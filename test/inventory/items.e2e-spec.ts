import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  adjustQty,
  allPages,
  auditRows,
  expectUnchanged,
  newItem,
  newTenant,
  snapshot,
  type TestTenant,
} from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('items', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it('creates an item with initial stock in the default warehouse', async () => {
    const res = await t.http
      .post('/api/items')
      .set(tenant.auth)
      .send({ name: '  apple  ', qty: 5, sku: 'APPLE-1', description: 'red' })
      .expect(201);
    expect(res.body.request_id).toEqual(res.headers['x-request-id']);
    expect(res.body.data).toMatchObject({
      name: 'apple',
      sku: 'APPLE-1',
      description: 'red',
      qty: 5,
      reserved: 0,
      available: 5,
      stock: [
        { warehouse_id: tenant.defaultWarehouseId, warehouse_code: 'default', on_hand: 5, reserved: 0, available: 5 },
      ],
    });
    const [audit] = await auditRows(t, tenant.id, 'item.created');
    expect(audit).toMatchObject({ object_id: res.body.data.id, actor: `api_key:${tenant.keyId}` });
  });

  it('adjusts quantity with a guarded delta and audits it', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const res = await t.http
      .patch(`/api/items/${item.id}/qty`)
      .set(tenant.auth)
      .set('X-Request-Id', 'req-adjust-1')
      .send({ delta: -2, reason: 'damaged' })
      .expect(200);
    expect(res.body.data).toMatchObject({ qty: 3, available: 3 });
    const rows = await auditRows(t, tenant.id, 'stock.adjusted');
    const row = rows.find((r: { object_id: string }) => r.object_id === item.id);
    expect(row).toMatchObject({
      request_id: 'req-adjust-1',
      old_value: { on_hand: 5, reserved: 0, warehouse_id: tenant.defaultWarehouseId },
      new_value: { on_hand: 3, reserved: 0, delta: -2, reason: 'damaged' },
    });
  });

  it('refuses to go below zero and changes nothing', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    const before = await snapshot(t, tenant.id);
    const res = await t.http.patch(`/api/items/${item.id}/qty`).set(tenant.auth).send({ delta: -2 }).expect(400);
    expect(res.body).toMatchObject({ error: 'insufficient_stock', message: 'qty cannot go below 0' });
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });

  // --- create -------------------------------------------------------------

  it('creates an item from a name alone: no sku, no description, 0 units', async () => {
    const res = await t.http
      .post('/api/items')
      .set(tenant.auth)
      .send({ name: `plain-${randomUUID()}` })
      .expect(201);
    expect(res.body.data).toMatchObject({ sku: null, description: null, qty: 0, reserved: 0, available: 0 });
    expect(res.body.data.stock).toEqual([
      expect.objectContaining({ warehouse_id: tenant.defaultWarehouseId, on_hand: 0 }),
    ]);
    expect(new Date(res.body.data.created_at).toISOString()).toBe(res.body.data.created_at);
  });

  it('accepts the bounds: a 255-character name, a 64-character sku, qty 2147483647', async () => {
    const name = `${randomUUID()}`.padEnd(255, 'n');
    const sku = `B${randomUUID().toUpperCase()}`.padEnd(64, 'X');
    const item = await newItem(t, tenant, { name, sku, qty: 2147483647 });
    expect(item).toMatchObject({ name, sku, qty: 2147483647 });
  });

  it.each([
    ['no name', { qty: 1 }],
    ['a blank name', { name: ' \t ' }],
    ['a 256-character name', { name: 'n'.repeat(256) }],
    ['a null name', { name: null }],
    ['a numeric name', { name: 12 }],
    ['a lowercase sku', { name: 'lower-sku', sku: 'abc-1' }],
    ['a sku starting with a dash', { name: 'dash-sku', sku: '-ABC' }],
    ['a 65-character sku', { name: 'long-sku', sku: 'S'.repeat(65) }],
    ['a null sku', { name: 'null-sku', sku: null }],
    ['a negative qty', { name: 'neg', qty: -1 }],
    ['a fractional qty', { name: 'frac', qty: 1.5 }],
    ['a string qty', { name: 'str', qty: '5' }],
    ['a boolean qty', { name: 'bool', qty: true }],
    ['a qty over the integer column', { name: 'huge', qty: 2147483648 }],
    ['a 2001-character description', { name: 'desc', description: 'd'.repeat(2001) }],
    ['an unknown field', { name: 'extra', price: 5 }],
  ])('refuses %s with validation_failed and changes nothing', async (_label, body) => {
    const res = await expectUnchanged(
      t,
      tenant,
      () => t.http.post('/api/items').set(tenant.auth).send(body),
      400,
      'validation_failed',
    );
    expect(res.body.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ field: expect.any(String), message: expect.any(String) })]),
    );
  });

  it.each([
    ['a NUL character in the name', { name: 'nul\u0000name' }],
    ['a NUL character in the description', { name: 'nul-desc', description: 'a\u0000b' }],
    ['a 255-character name plus a variation selector (256 code points)', { name: `${'v'.repeat(255)}\uFE0F` }],
  ])('refuses %s as bad input (400), not a 500', async (_label, body) => {
    await expectUnchanged(
      t,
      tenant,
      () => t.http.post('/api/items').set(tenant.auth).send(body),
      400,
      'validation_failed',
    );
  });

  it('refuses a duplicate name among live items (compared after trimming)', async () => {
    const item = await newItem(t, tenant);
    const send = () =>
      t.http
        .post('/api/items')
        .set(tenant.auth)
        .send({ name: `  ${item.name}  ` });
    await expectUnchanged(t, tenant, send, 400, 'duplicate_name');
  });

  it('refuses a duplicate sku', async () => {
    const sku = `DUP-${randomUUID().slice(0, 8).toUpperCase()}`;
    await newItem(t, tenant, { sku });
    await expectUnchanged(
      t,
      tenant,
      () =>
        t.http
          .post('/api/items')
          .set(tenant.auth)
          .send({ name: `other-${sku}`, sku }),
      400,
      'duplicate_sku',
    );
  });

  // --- read ---------------------------------------------------------------

  it('gets an item by id, also when the id is upper case', async () => {
    const item = await newItem(t, tenant, { qty: 4 });
    const res = await t.http.get(`/api/items/${item.id.toUpperCase()}`).set(tenant.auth).expect(200);
    expect(res.body.data).toEqual(item);
  });

  it.each([
    ['an unknown id', () => randomUUID()],
    ['a non-UUID id', () => 'not-a-uuid'],
  ])('GET with %s is 404 not_found', async (_label, id) => {
    await expectUnchanged(t, tenant, () => t.http.get(`/api/items/${id()}`).set(tenant.auth), 404, 'not_found');
  });

  // --- delete -------------------------------------------------------------

  it('deletes an item: 204 with no body, audited, then gone from get and list', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const res = await t.http.delete(`/api/items/${item.id}`).set(tenant.auth).expect(204);
    expect(res.text).toBe('');
    const [row] = (await auditRows(t, tenant.id, 'item.deleted')).filter(
      (r: { object_id: string }) => r.object_id === item.id,
    );
    expect(row.old_value).toEqual(item);
    await t.http.get(`/api/items/${item.id}`).set(tenant.auth).expect(404);
    const list = await t.http.get('/api/items').set(tenant.auth).query({ name: item.name }).expect(200);
    expect(list.body.data).toEqual([]);
  });

  it('deleting again is 204 and changes nothing (no second audit row)', async () => {
    const item = await newItem(t, tenant);
    await t.http.delete(`/api/items/${item.id}`).set(tenant.auth).expect(204);
    const before = await snapshot(t, tenant.id);
    await t.http.delete(`/api/items/${item.id}`).set(tenant.auth).expect(204);
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });

  it('deleting an unknown id is 204 and changes nothing', async () => {
    const before = await snapshot(t, tenant.id);
    await t.http.delete(`/api/items/${randomUUID()}`).set(tenant.auth).expect(204);
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });

  it('deleting a non-UUID id is 404 not_found', async () => {
    await expectUnchanged(t, tenant, () => t.http.delete('/api/items/123').set(tenant.auth), 404, 'not_found');
  });

  it('a deleted item frees its name and sku', async () => {
    const sku = `FREE-${randomUUID().slice(0, 8).toUpperCase()}`;
    const item = await newItem(t, tenant, { sku });
    await t.http.delete(`/api/items/${item.id}`).set(tenant.auth).expect(204);
    const again = await newItem(t, tenant, { name: item.name, sku });
    expect(again.id).not.toBe(item.id);
  });

  // --- adjust -------------------------------------------------------------

  it('adds units with a positive delta', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const res = await adjustQty(t, tenant, item.id, { delta: 3, reason: 'restock' }).expect(200);
    expect(res.body.data).toMatchObject({ id: item.id, qty: 5, available: 5 });
    expect(res.body.data.stock).toEqual([expect.objectContaining({ on_hand: 5 })]);
  });

  it('accepts the largest delta, +1000000000', async () => {
    const item = await newItem(t, tenant);
    const res = await adjustQty(t, tenant, item.id, { delta: 1_000_000_000 }).expect(200);
    expect(res.body.data.qty).toBe(1_000_000_000);
  });

  it('may take the stock exactly to zero', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const res = await adjustQty(t, tenant, item.id, { delta: -2 }).expect(200);
    expect(res.body.data).toMatchObject({ qty: 0, available: 0 });
  });

  it('delta 0 is a 200 no-op that writes nothing, not even an audit row', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    const before = await snapshot(t, tenant.id);
    const res = await adjustQty(t, tenant, item.id, { delta: 0 }).expect(200);
    expect(res.body.data).toEqual(item);
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });

  it('refuses to exceed the integer column with quantity_out_of_range', async () => {
    const item = await newItem(t, tenant, { qty: 2147483647 });
    await expectUnchanged(t, tenant, () => adjustQty(t, tenant, item.id, { delta: 1 }), 400, 'quantity_out_of_range');
  });

  it.each([
    ['delta -1', { delta: -1 }],
    ['delta +1', { delta: 1 }],
    ['delta 0', { delta: 0 }],
  ])('adjusting an unknown item (%s) is 404', async (_label, body) => {
    await expectUnchanged(t, tenant, () => adjustQty(t, tenant, randomUUID(), body), 404, 'not_found');
  });

  it('adjusting a non-UUID id is 404', async () => {
    await expectUnchanged(t, tenant, () => adjustQty(t, tenant, 'abc', { delta: 1 }), 404, 'not_found');
  });

  it.each([[-1], [1], [0]])('adjusting a deleted item (delta %d) is 404', async (delta) => {
    const item = await newItem(t, tenant, { qty: 5 });
    await t.http.delete(`/api/items/${item.id}`).set(tenant.auth).expect(204);
    await expectUnchanged(t, tenant, () => adjustQty(t, tenant, item.id, { delta }), 404, 'not_found');
  });

  it.each([[-1], [1], [0]])('adjusting in an unknown warehouse (delta %d) is 404', async (delta) => {
    const item = await newItem(t, tenant, { qty: 5 });
    const send = () => adjustQty(t, tenant, item.id, { delta, warehouse_id: randomUUID() });
    await expectUnchanged(t, tenant, send, 404, 'not_found');
  });

  it.each([
    ['|delta| over 1e9 (positive)', { delta: 1_000_000_001 }],
    ['|delta| over 1e9 (negative)', { delta: -1_000_000_001 }],
    ['a non-UUID warehouse_id', { delta: 1, warehouse_id: 'main' }],
    ['a reason over 500 characters', { delta: 1, reason: 'r'.repeat(501) }],
    ['a null reason', { delta: 1, reason: null }],
    ['a numeric reason', { delta: 1, reason: 7 }],
  ])('refuses %s with validation_failed', async (_label, body) => {
    const item = await newItem(t, tenant, { qty: 5 });
    await expectUnchanged(t, tenant, () => adjustQty(t, tenant, item.id, body), 400, 'validation_failed');
  });

  it('refuses a reason with a NUL character as bad input (400), not a 500', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    await expectUnchanged(
      t,
      tenant,
      () => adjustQty(t, tenant, item.id, { delta: -1, reason: 'a\u0000b' }),
      400,
      'validation_failed',
    );
  });
});

describe('items list', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const names = ['cherry', 'apple', 'grape', 'banana', 'fig', 'elderberry', 'date'];
  const byName = new Map<string, string>();

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
    for (const [i, name] of names.entries())
      byName.set(name, (await newItem(t, tenant, { name, sku: `FRUIT-${i}` })).id);
  });
  afterAll(() => t.close());

  it('pages by name with limit=3: 3 + 3 + 1, in order, no duplicates or gaps', async () => {
    const pages = await allPages<{ name: string }>(t, tenant, '/api/items', { limit: 3 });
    expect(pages.map((p) => p.map((i) => i.name))).toEqual([
      ['apple', 'banana', 'cherry'],
      ['date', 'elderberry', 'fig'],
      ['grape'],
    ]);
  });

  it('answers the envelope with page.limit and a null next_cursor on the last page', async () => {
    const res = await t.http.get('/api/items').set(tenant.auth).expect(200);
    expect(res.body).toMatchObject({ request_id: res.headers['x-request-id'], page: { next_cursor: null, limit: 20 } });
    expect(res.body.data).toHaveLength(7);
  });

  it('filters by exact sku', async () => {
    const res = await t.http.get('/api/items').set(tenant.auth).query({ sku: 'FRUIT-3' }).expect(200);
    expect(res.body.data.map((i: { id: string }) => i.id)).toEqual([byName.get('banana')]);
    const none = await t.http.get('/api/items').set(tenant.auth).query({ sku: 'FRUIT' }).expect(200);
    expect(none.body.data).toEqual([]);
  });

  it('filters by name prefix, case-sensitively, and pages within the filter', async () => {
    const item = await newItem(t, tenant, { name: 'Fig tree' });
    const pages = await allPages<{ name: string }>(t, tenant, '/api/items', { name: 'f', limit: 1 });
    expect(pages.map((p) => p.map((i) => i.name))).toEqual([['fig']]);
    await t.http.delete(`/api/items/${item.id}`).set(tenant.auth).expect(204);
  });

  it('does not list deleted items', async () => {
    const item = await newItem(t, tenant, { name: 'zucchini' });
    await t.http.delete(`/api/items/${item.id}`).set(tenant.auth).expect(204);
    const res = await t.http.get('/api/items').set(tenant.auth).query({ name: 'zucchini' }).expect(200);
    expect(res.body.data).toEqual([]);
  });

  it.each([['0'], ['101'], ['abc'], ['1.5'], ['-1'], ['']])(
    'refuses limit=%s with validation_failed',
    async (limit) => {
      await expectUnchanged(
        t,
        tenant,
        () => t.http.get(`/api/items?limit=${limit}`).set(tenant.auth),
        400,
        'validation_failed',
      );
    },
  );

  it('refuses an unknown query parameter', async () => {
    await expectUnchanged(
      t,
      tenant,
      () => t.http.get('/api/items?color=red').set(tenant.auth),
      400,
      'validation_failed',
    );
  });

  it('refuses a name filter with a NUL character as bad input (400), not a 500', async () => {
    await expectUnchanged(
      t,
      tenant,
      () => t.http.get('/api/items?name=%00').set(tenant.auth),
      400,
      'validation_failed',
    );
  });

  it('refuses a tampered cursor with invalid_cursor', async () => {
    const first = await t.http.get('/api/items').set(tenant.auth).query({ limit: 2 }).expect(200);
    const [payload, signature] = first.body.page.next_cursor.split('.');
    const forged = Buffer.from(JSON.stringify(['items', 'a', randomUUID()])).toString('base64url');
    for (const cursor of [`${forged}.${signature}`, `${payload}.${signature.slice(1)}x`, 'garbage', `${payload}`]) {
      await expectUnchanged(
        t,
        tenant,
        () => t.http.get('/api/items').set(tenant.auth).query({ cursor }),
        400,
        'invalid_cursor',
      );
    }
  });

  it('refuses a cursor issued by another list (audit logs)', async () => {
    const audit = await t.http.get('/api/audit-logs').set(tenant.auth).query({ limit: 1 }).expect(200);
    const cursor = audit.body.page.next_cursor;
    await expectUnchanged(
      t,
      tenant,
      () => t.http.get('/api/items').set(tenant.auth).query({ cursor }),
      400,
      'invalid_cursor',
    );
  });
});
