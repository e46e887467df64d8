import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import {
  adjustQty,
  allPages,
  auditOf,
  expectUnchanged,
  getItemBySku,
  newItem,
  newTenant,
  readItem,
  tally,
  updateItem,
  type ItemData,
  type TestTenant,
} from '../support/fixtures.js';
import { release, reserveOk } from '../support/reservations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const sku = () => `U-${randomUUID().slice(0, 8).toUpperCase()}`;

describe('item updates, lookup by SKU, reorder point', () => {
  let t: TestApp;
  let A: TestTenant;
  let B: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    A = await newTenant(t);
    B = await newTenant(t);
  });
  afterAll(() => t.close());

  describe('PATCH /api/items/:id', () => {
    it('changes name, sku, description and reorder_point; bumps updated_at; audits old and new values', async () => {
      const item = await newItem(t, A, { sku: sku(), description: 'red', qty: 2 });
      const next = { name: `  renamed-${randomUUID()} `, sku: sku(), description: 'green', reorder_point: 5 };
      const res = await updateItem(t, A, item.id, next).expect(200);
      const view: ItemData = res.body.data;
      expect(view).toMatchObject({ ...next, name: next.name.trim(), qty: 2, low_stock: true });
      expect(new Date(view.updated_at).getTime()).toBeGreaterThan(new Date(item.updated_at).getTime());
      expect(await readItem(t, A, item.id)).toEqual(view);
      expect(await auditOf(t, A.id, 'item.updated', item.id)).toEqual([
        {
          actor: `api_key:${A.keyId}`,
          action: 'item.updated',
          object_type: 'item',
          object_id: item.id,
          request_id: res.headers['x-request-id'],
          old_value: { name: item.name, sku: item.sku, description: 'red', reorder_point: null },
          new_value: { name: next.name.trim(), sku: next.sku, description: 'green', reorder_point: 5 },
        },
      ]);
    });

    it('null clears sku, description and reorder_point; only what changes is audited', async () => {
      const item = await newItem(t, A, { sku: sku(), description: 'x', reorder_point: 1 });
      const res = await updateItem(t, A, item.id, {
        sku: null,
        description: null,
        reorder_point: null,
        name: item.name,
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toMatchObject({ sku: null, description: null, reorder_point: null, low_stock: false });
      const [row] = await auditOf(t, A.id, 'item.updated', item.id);
      expect(row.old_value).toEqual({ sku: item.sku, description: 'x', reorder_point: 1 });
      expect(row.new_value).toEqual({ sku: null, description: null, reorder_point: null });
    });

    it('a PATCH that changes nothing writes nothing: no audit row, same updated_at', async () => {
      const item = await newItem(t, A, { sku: sku() });
      const res = await updateItem(t, A, item.id, { sku: item.sku, name: item.name }).expect(200);
      expect(res.body.data.updated_at).toBe(item.updated_at);
      expect(await auditOf(t, A.id, 'item.updated', item.id)).toEqual([]);
    });

    it('a taken name or sku is 400 duplicate_name / duplicate_sku and changes nothing; a deleted item frees them', async () => {
      const taken = await newItem(t, A, { sku: sku() });
      const item = await newItem(t, A);
      await expectUnchanged(t, [A, B], () => updateItem(t, A, item.id, { name: taken.name }), 400, 'duplicate_name');
      await expectUnchanged(t, [A, B], () => updateItem(t, A, item.id, { sku: taken.sku }), 400, 'duplicate_sku');
      // Another tenant's names and SKUs are no obstacle.
      const theirs = await newItem(t, B, { sku: sku() });
      await updateItem(t, A, item.id, { name: theirs.name, sku: theirs.sku }).expect(200);
      await t.http.delete(`/api/items/${taken.id}`).set(A.auth).expect(204);
      await updateItem(t, A, item.id, { name: taken.name, sku: taken.sku }).expect(200);
    });

    it('racing renames to one name: exactly one 200, the others 400 duplicate_name', async () => {
      const name = `race-${randomUUID()}`;
      const items = await Promise.all(Array.from({ length: 5 }, () => newItem(t, A)));
      const responses = await Promise.all(items.map((i) => updateItem(t, A, i.id, { name })));
      expect(tally(responses)).toEqual({ '200': 1, '400 duplicate_name': 4 });
    });

    it.each<[string, unknown, string]>([
      ['an empty body', {}, 'body'],
      ['name null', { name: null }, 'name'],
      ['a blank name', { name: '   ' }, 'name'],
      ['a name of 256 characters', { name: 'n'.repeat(256) }, 'name'],
      ['a lower-case sku', { sku: 'abc' }, 'sku'],
      ['sku a number', { sku: 5 }, 'sku'],
      ['a description of 2001 characters', { description: 'd'.repeat(2001) }, 'description'],
      ['reorder_point -1', { reorder_point: -1 }, 'reorder_point'],
      ['reorder_point 1.5', { reorder_point: 1.5 }, 'reorder_point'],
      ['reorder_point "5"', { reorder_point: '5' }, 'reorder_point'],
      ['reorder_point true', { reorder_point: true }, 'reorder_point'],
      ['reorder_point above 2^31 - 1', { reorder_point: 2 ** 31 }, 'reorder_point'],
      ['qty (use PATCH …/qty)', { qty: 3 }, 'qty'],
      ['an unknown field', { color: 'red' }, 'color'],
    ])('%s → 400 validation_failed naming the field, nothing changes', async (_label, body, field) => {
      const item = await newItem(t, A);
      const res = await expectUnchanged(t, [A, B], () => updateItem(t, A, item.id, body), 400, 'validation_failed');
      expect(res.body.details.map((d: { field: string }) => d.field)).toContain(field);
    });

    it("unknown, deleted, non-UUID and another tenant's items are 404, nothing changes", async () => {
      const deleted = await newItem(t, A);
      await t.http.delete(`/api/items/${deleted.id}`).set(A.auth).expect(204);
      const theirs = await newItem(t, B);
      for (const id of [randomUUID(), deleted.id, 'nope', theirs.id]) {
        await expectUnchanged(t, [A, B], () => updateItem(t, A, id, { description: 'x' }), 404, 'not_found');
      }
    });

    it('Idempotency-Key: the same PATCH again is replayed (one audit row); another body with the key is 422', async () => {
      const item = await newItem(t, A);
      const key = `item-${randomUUID()}`;
      const send = (body: object) =>
        t.http.patch(`/api/items/${item.id}`).set(A.auth).set('Idempotency-Key', key).send(body);
      const first = await send({ description: 'once' });
      expect(first.status).toBe(200);
      const again = await send({ description: 'once' });
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await auditOf(t, A.id, 'item.updated', item.id)).toHaveLength(1);
      await expectUnchanged(t, A, () => send({ description: 'twice' }), 422, 'idempotency_key_reused');
      // A refused duplicate is a domain error of a request that ran: replayed too.
      const taken = await newItem(t, A);
      const dupKey = `dup-${randomUUID()}`;
      const dup = () =>
        t.http.patch(`/api/items/${item.id}`).set(A.auth).set('Idempotency-Key', dupKey).send({ name: taken.name });
      expect((await dup()).body.error).toBe('duplicate_name');
      const replay = await dup();
      expect(replay.body.error).toBe('duplicate_name');
      expect(replay.headers['idempotent-replayed']).toBe('true');
    });
  });

  describe('GET /api/items/sku/:sku', () => {
    it('answers the same view as GET /api/items/:id', async () => {
      const item = await newItem(t, A, { sku: sku(), qty: 4, reorder_point: 2 });
      const res = await getItemBySku(t, A, item.sku!).expect(200);
      expect(res.body.data).toEqual(await readItem(t, A, item.id));
    });

    it("unknown, deleted, malformed and another tenant's SKUs are 404", async () => {
      const deleted = await newItem(t, A, { sku: sku() });
      await t.http.delete(`/api/items/${deleted.id}`).set(A.auth).expect(204);
      const theirs = await newItem(t, B, { sku: sku() });
      for (const s of ['NO-SUCH-SKU', deleted.sku!, 'lower-case', theirs.sku!, 'A'.repeat(65)]) {
        const res = await getItemBySku(t, A, s);
        expect({ status: res.status, error: res.body.error }).toEqual({ status: 404, error: 'not_found' });
      }
    });
  });

  describe('reorder_point and low_stock', () => {
    it('low_stock is true while available <= reorder_point, in every view', async () => {
      const item = await newItem(t, A, { sku: sku(), qty: 5, reorder_point: 3 });
      expect(item).toMatchObject({ reorder_point: 3, low_stock: false });
      const r = await reserveOk(t, A, { lines: [{ item_id: item.id, quantity: 2 }] }); // available 3
      expect(await readItem(t, A, item.id)).toMatchObject({ available: 3, low_stock: true });
      const listed = (await allPages<ItemData>(t, A, '/api/items', { sku: item.sku! })).flat();
      expect(listed).toEqual([expect.objectContaining({ id: item.id, low_stock: true })]);
      expect((await getItemBySku(t, A, item.sku!).expect(200)).body.data.low_stock).toBe(true);
      await release(t, A, r.id).expect(200);
      expect((await readItem(t, A, item.id)).low_stock).toBe(false);
      await adjustQty(t, A, item.id, { delta: -2 }).expect(200); // available 3 again
      expect((await readItem(t, A, item.id)).low_stock).toBe(true);
    });

    it('without a reorder point low_stock is false, even at 0 units; reorder_point 0 says so at 0', async () => {
      expect(await newItem(t, A)).toMatchObject({ available: 0, reorder_point: null, low_stock: false });
      expect(await newItem(t, A, { reorder_point: 0 })).toMatchObject({ available: 0, low_stock: true });
    });

    it.each<[string, unknown]>([
      ['-1', -1],
      ['null', null],
      ['"3"', '3'],
      ['2.5', 2.5],
    ])('create with reorder_point %s → 400 validation_failed, nothing changes', async (_label, reorder_point) => {
      await expectUnchanged(
        t,
        A,
        () =>
          t.http
            .post('/api/items')
            .set(A.auth)
            .send({ name: `rp-${randomUUID()}`, reorder_point }),
        400,
        'validation_failed',
      );
    });
  });
});
