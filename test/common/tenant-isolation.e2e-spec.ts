import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  adjustQty,
  allPages,
  expectUnchanged,
  type ItemData,
  listAudit,
  newItem,
  newTenant,
  snapshots,
  type TestTenant,
} from '../support/fixtures.js';
import { newKey } from '../support/api-keys.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('tenant isolation', () => {
  let t: TestApp;
  let a: TestTenant;
  let b: TestTenant;
  let itemA: ItemData;
  const skuA = `ISO-${randomUUID().slice(0, 8).toUpperCase()}`;

  beforeAll(async () => {
    t = await startTestApp();
    [a, b] = [await newTenant(t), await newTenant(t)];
    itemA = await newItem(t, a, { name: 'shared-name', sku: skuA, qty: 5 });
    await newItem(t, b, { name: 'b-only' });
  });
  afterAll(() => t.close());

  it("B cannot read A's item (404, like an unknown id)", async () => {
    const res = await expectUnchanged(
      t,
      [a, b],
      () => t.http.get(`/api/items/${itemA.id}`).set(b.auth),
      404,
      'not_found',
    );
    expect(JSON.stringify(res.body)).not.toContain(itemA.name);
  });

  it.each([[-1], [1], [0]])("B cannot adjust A's item (delta %d): 404, nothing changes", async (delta) => {
    await expectUnchanged(t, [a, b], () => adjustQty(t, b, itemA.id, { delta }), 404, 'not_found');
  });

  it("B's DELETE of A's item answers 204 (unknown to B) and deletes nothing", async () => {
    const before = await snapshots(t, [a, b]);
    await t.http.delete(`/api/items/${itemA.id}`).set(b.auth).expect(204);
    expect(await snapshots(t, [a, b])).toEqual(before);
    const res = await t.http.get(`/api/items/${itemA.id}`).set(a.auth).expect(200);
    expect(res.body.data).toMatchObject({ id: itemA.id, qty: 5 });
  });

  it("B cannot adjust its own item in A's warehouse (404)", async () => {
    const itemB = await newItem(t, b, { qty: 3 });
    for (const delta of [-1, 1]) {
      const send = () => adjustQty(t, b, itemB.id, { delta, warehouse_id: a.defaultWarehouseId });
      await expectUnchanged(t, [a, b], send, 404, 'not_found');
    }
  });

  it("B's list shows only B's items, with or without filters", async () => {
    const all = (await allPages<{ id: string; name: string }>(t, b, '/api/items', { limit: 1 })).flat();
    expect(all.map((i) => i.name)).not.toContain('shared-name');
    expect(all.length).toBeGreaterThan(0);
    for (const query of [{ sku: skuA }, { name: 'shared' }]) {
      const res = await t.http.get('/api/items').set(b.auth).query(query).expect(200);
      expect(res.body.data).toEqual([]);
    }
  });

  it("names and skus are unique per tenant only: B may reuse A's", async () => {
    const itemB = await newItem(t, b, { name: 'shared-name', sku: skuA });
    expect(itemB.id).not.toBe(itemA.id);
  });

  it("B never sees A's audit rows", async () => {
    const rowsB = await listAudit(t, b);
    expect(rowsB.length).toBeGreaterThan(0);
    expect(rowsB.map((r) => r.object_id)).not.toContain(itemA.id);
    expect(rowsB.map((r) => r.object_id)).not.toContain(a.id);
    expect(await listAudit(t, b, { object_id: itemA.id })).toEqual([]);
    expect((await listAudit(t, a, { object_id: itemA.id })).length).toBeGreaterThan(0);
  });

  it("a key of B without the scope is 403 insufficient_scope on A's item as on its own: nothing changes, nothing told", async () => {
    const reader = await newKey(t, b, { scopes: ['inventory:read'] });
    const itemB = await newItem(t, b, { qty: 2 });
    const bodies: unknown[] = [];
    for (const id of [itemA.id, itemB.id]) {
      const send = () => t.http.patch(`/api/items/${id}/qty`).set(reader.auth).send({ delta: -1 });
      const res = await expectUnchanged(t, [a, b], send, 403, 'insufficient_scope');
      bodies.push({ message: res.body.message, details: res.body.details });
    }
    expect(bodies[0]).toEqual(bodies[1]);
    // With the scope, A's item is still unknown to B.
    const writer = await newKey(t, b, { scopes: ['inventory:write'] });
    const write = () => t.http.patch(`/api/items/${itemA.id}/qty`).set(writer.auth).send({ delta: -1 });
    await expectUnchanged(t, [a, b], write, 404, 'not_found');
  });
});
