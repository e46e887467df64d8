import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  adjustQty,
  allPages,
  auditRows,
  expectUnchanged,
  listAudit,
  newItem,
  newTenant,
  snapshot,
  type TestTenant,
} from '../support/fixtures.js';
import { sleep } from '../support/util.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('audit log', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it('item.created is written with the change, under the X-Request-Id sent, and served by the API', async () => {
    const res = await t.http
      .post('/api/items')
      .set(tenant.auth)
      .set('X-Request-Id', 'audit-create-1')
      .send({ name: `audited-${randomUUID()}`, qty: 2 })
      .expect(201);
    const [row] = await listAudit(t, tenant, { object_id: res.body.data.id });
    expect(row).toMatchObject({
      action: 'item.created',
      object_type: 'item',
      request_id: 'audit-create-1',
      actor: `api_key:${tenant.keyId}`,
      old_value: null,
      new_value: res.body.data,
    });
  });

  it('stock.adjusted records before and after, the delta and the reason', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    await adjustQty(t, tenant, item.id, { delta: -4, reason: 'cycle count' })
      .set('X-Request-Id', 'audit-adjust-1')
      .expect(200);
    const [row] = await listAudit(t, tenant, { object_id: item.id, action: 'stock.adjusted' });
    expect(row).toMatchObject({
      request_id: 'audit-adjust-1',
      old_value: { warehouse_id: tenant.defaultWarehouseId, on_hand: 10, reserved: 0 },
      new_value: { warehouse_id: tenant.defaultWarehouseId, on_hand: 6, reserved: 0, delta: -4, reason: 'cycle count' },
    });
  });

  it('a positive adjustment without a reason is audited with reason null', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    await adjustQty(t, tenant, item.id, { delta: 7 }).set('X-Request-Id', 'audit-adjust-2').expect(200);
    const [row] = await listAudit(t, tenant, { object_id: item.id, action: 'stock.adjusted' });
    expect(row).toMatchObject({
      request_id: 'audit-adjust-2',
      old_value: { on_hand: 1 },
      new_value: { on_hand: 8, delta: 7, reason: null },
    });
  });

  it('item.deleted keeps the item as it was', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    await t.http.delete(`/api/items/${item.id}`).set(tenant.auth).set('X-Request-Id', 'audit-delete-1').expect(204);
    const [row] = await listAudit(t, tenant, { object_id: item.id, action: 'item.deleted' });
    expect(row).toMatchObject({ request_id: 'audit-delete-1', old_value: item, new_value: null });
  });

  it("lists the tenant's own creation rows: tenant, warehouse, api_key", async () => {
    const rows = await listAudit(t, tenant, { object_type: 'tenant' });
    expect(rows).toEqual([expect.objectContaining({ action: 'tenant.created', object_id: tenant.id, actor: 'admin' })]);
    const [wh] = await listAudit(t, tenant, { object_type: 'warehouse' });
    expect(wh).toMatchObject({
      action: 'warehouse.created',
      object_id: tenant.defaultWarehouseId,
      new_value: { code: 'default', is_default: true },
    });
    const [key] = await listAudit(t, tenant, { object_type: 'api_key' });
    expect(key).toMatchObject({ action: 'api_key.created', object_id: tenant.keyId });
    expect(JSON.stringify(key)).not.toContain(tenant.key);
  });

  it.each([
    [
      'UPDATE',
      (t: TestApp, id: string) => t.db.query(`UPDATE audit_log SET action = 'item.forged' WHERE tenant_id = $1`, [id]),
    ],
    ['DELETE', (t: TestApp, id: string) => t.db.query('DELETE FROM audit_log WHERE tenant_id = $1', [id])],
  ])('the table refuses %s, even through direct SQL', async (_label, run) => {
    const before = await snapshot(t, tenant.id);
    const rows = await auditRows(t, tenant.id);
    expect(rows.length).toBeGreaterThan(0);
    await expect(run(t, tenant.id)).rejects.toThrow(/append-only/);
    expect(await auditRows(t, tenant.id)).toEqual(rows);
    expect(await snapshot(t, tenant.id)).toEqual(before);
  });

  it('the table refuses TRUNCATE (tried inside a transaction that is rolled back anyway)', async () => {
    const runner = t.db.createQueryRunner();
    await runner.startTransaction();
    try {
      await expect(runner.query('TRUNCATE audit_log')).rejects.toThrow(/append-only/);
    } finally {
      await runner.rollbackTransaction();
      await runner.release();
    }
  });

  it('a failed request writes no audit row', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    await expectUnchanged(t, tenant, () => adjustQty(t, tenant, item.id, { delta: -5 }), 400, 'insufficient_stock');
    expect(await listAudit(t, tenant, { object_id: item.id, action: 'stock.adjusted' })).toEqual([]);
  });
});

describe('audit log list', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let itemIds: string[];

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
    itemIds = [];
    for (let i = 0; i < 5; i++) {
      const item = await newItem(t, tenant, { qty: 10 });
      await adjustQty(t, tenant, item.id, { delta: -1 }).expect(200);
      itemIds.push(item.id);
    }
  });
  afterAll(() => t.close());

  it('is newest first', async () => {
    const rows = await listAudit(t, tenant);
    const times = rows.map((r) => r.created_at);
    expect(times).toEqual([...times].sort().reverse());
    expect(rows[0]).toMatchObject({ action: 'stock.adjusted', object_id: itemIds[4] });
    expect(rows[rows.length - 1]).toMatchObject({ action: 'tenant.created' });
  });

  it('pages with limit=2 across every row, with no duplicates and no gaps', async () => {
    const expected = (await listAudit(t, tenant)).map((r) => r.id);
    expect(expected.length).toBe(13);
    const pages = await allPages<{ id: string }>(t, tenant, '/api/audit-logs', { limit: 2 });
    expect(pages.map((p) => p.length)).toEqual([2, 2, 2, 2, 2, 2, 1]);
    expect(pages.flat().map((r) => r.id)).toEqual(expected);
  });

  it('pages within a filter', async () => {
    const pages = await allPages<{ object_id: string }>(t, tenant, '/api/audit-logs', {
      limit: 2,
      action: 'stock.adjusted',
    });
    expect(pages.flat().map((r) => r.object_id)).toEqual([...itemIds].reverse());
  });

  it.each([
    [{ object_type: 'item' }, 10],
    [{ object_type: 'tenant' }, 1],
    [{ action: 'item.created' }, 5],
    [{ action: 'stock.adjusted', object_type: 'item' }, 5],
    [{ action: 'item.deleted' }, 0],
  ])('filters by %j', async (query, count) => {
    const rows = await listAudit(t, tenant, query as Record<string, string>);
    expect(rows).toHaveLength(count);
    for (const row of rows) expect(row).toMatchObject(query as Record<string, string>);
  });

  it('filters by object_id', async () => {
    const rows = await listAudit(t, tenant, { object_id: itemIds[2]! });
    expect(rows.map((r) => r.action)).toEqual(['stock.adjusted', 'item.created']);
  });

  it('filters by time: from is inclusive, to is exclusive', async () => {
    const other = await newTenant(t);
    const first = await newItem(t, other);
    await sleep(20);
    const mark = new Date().toISOString();
    await sleep(20);
    const second = await newItem(t, other);
    const after = await listAudit(t, other, { from: mark });
    expect(after.map((r) => r.object_id)).toEqual([second.id]);
    const before = await listAudit(t, other, { to: mark, action: 'item.created' });
    expect(before.map((r) => r.object_id)).toEqual([first.id]);
    const exact = await listAudit(t, other, {
      from: after[0]!.created_at,
      to: new Date(Date.parse(after[0]!.created_at) + 1).toISOString(),
    });
    expect(exact.map((r) => r.id)).toEqual([after[0]!.id]);
  });

  it('refuses a tampered cursor with invalid_cursor', async () => {
    const res = await t.http.get('/api/audit-logs').set(tenant.auth).query({ limit: 2 }).expect(200);
    const [payload, signature] = res.body.page.next_cursor.split('.');
    const forged = Buffer.from(JSON.stringify(['audit', '2999-01-01T00:00:00.000000Z', randomUUID()])).toString(
      'base64url',
    );
    for (const cursor of [
      `${forged}.${signature}`,
      `${payload}.AAAAAAAAAAAAAAAAAAAAAA`,
      `${payload}.${signature}.x`,
      '%%%',
    ]) {
      await expectUnchanged(
        t,
        tenant,
        () => t.http.get('/api/audit-logs').set(tenant.auth).query({ cursor }),
        400,
        'invalid_cursor',
      );
    }
  });

  it('refuses a cursor issued by the items list', async () => {
    const items = await t.http.get('/api/items').set(tenant.auth).query({ limit: 1 }).expect(200);
    const send = () => t.http.get('/api/audit-logs').set(tenant.auth).query({ cursor: items.body.page.next_cursor });
    await expectUnchanged(t, tenant, send, 400, 'invalid_cursor');
  });

  it.each([
    ['limit=0', { limit: '0' }],
    ['limit=101', { limit: '101' }],
    ['limit=abc', { limit: 'abc' }],
    ['an unknown object_type', { object_type: 'invoice' }],
    ['a non-UUID object_id', { object_id: 'abc' }],
    ['a malformed action', { action: 'DROP TABLE' }],
    ['a non-ISO from', { from: 'yesterday' }],
    ['a non-ISO to', { to: '2024-13-45' }],
    ['an unknown parameter', { actor: 'admin' }],
  ])('refuses %s with validation_failed', async (_label, query) => {
    const send = () => t.http.get('/api/audit-logs').set(tenant.auth).query(query);
    await expectUnchanged(t, tenant, send, 400, 'validation_failed');
  });

  it('needs an API key (401)', async () => {
    await expectUnchanged(t, tenant, () => t.http.get('/api/audit-logs'), 401, 'unauthorized');
  });
});
