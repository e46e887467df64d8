import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { adjustQty, auditRows, newItem, newTenant, tally, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

describe('stock under concurrency', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  const adjustedRows = async (itemId: string) =>
    (await auditRows(t, tenant.id, 'stock.adjusted')).filter((r: { object_id: string }) => r.object_id === itemId);
  const onHand = async (itemId: string) =>
    (await t.http.get(`/api/items/${itemId}`).set(tenant.auth).expect(200)).body.data.qty;

  it('50 parallel -1 on 5 units: exactly 5 succeed, 45 are insufficient_stock, 0 left, 5 audit rows', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const responses = await Promise.all(Array.from({ length: 50 }, () => adjustQty(t, tenant, item.id, { delta: -1 })));
    expect(tally(responses)).toEqual({ '200': 5, '400 insufficient_stock': 45 });
    expect(await onHand(item.id)).toBe(0);
    expect(await adjustedRows(item.id)).toHaveLength(5);
  });

  it('a parallel mix of +k and -k loses no update: final = initial + accepted deltas, one audit row per 200', async () => {
    const item = await newItem(t, tenant, { qty: 20 });
    const deltas = Array.from({ length: 60 }, (_, i) => (i % 2 ? 1 : -1) * (1 + Math.floor(Math.random() * 9)));
    const responses = await Promise.all(deltas.map((delta) => adjustQty(t, tenant, item.id, { delta })));
    const accepted = deltas.filter((_, i) => responses[i]!.status === 200);
    const outcomes = Object.keys(tally(responses)).filter((k) => k !== '200' && k !== '400 insufficient_stock');
    expect(outcomes).toEqual([]);
    expect(await onHand(item.id)).toBe(20 + accepted.reduce((sum, d) => sum + d, 0));
    const rows = await adjustedRows(item.id);
    const byValue = (x: number, y: number) => x - y;
    expect(rows.map((r: { new_value: { delta: number } }) => r.new_value.delta).sort(byValue)).toEqual(
      [...accepted].sort(byValue),
    );
    expect(
      rows.every(
        (r: { old_value: { on_hand: number }; new_value: { on_hand: number; delta: number } }) =>
          r.new_value.on_hand === r.old_value.on_hand + r.new_value.delta && r.new_value.on_hand >= 0,
      ),
    ).toBe(true);
  });

  it('racing creates with the same name: one 201, the rest duplicate_name, one live item', async () => {
    const name = `race-${randomUUID()}`;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => t.http.post('/api/items').set(tenant.auth).send({ name })),
    );
    expect(tally(responses)).toEqual({ '201': 1, '400 duplicate_name': 9 });
    const res = await t.http.get('/api/items').set(tenant.auth).query({ name }).expect(200);
    expect(res.body.data).toHaveLength(1);
  });

  it('racing creates with the same sku: one 201, the rest duplicate_sku', async () => {
    const sku = `RACE-${randomUUID().slice(0, 8).toUpperCase()}`;
    const responses = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        t.http
          .post('/api/items')
          .set(tenant.auth)
          .send({ name: `${sku}-${i}`, sku }),
      ),
    );
    expect(tally(responses)).toEqual({ '201': 1, '400 duplicate_sku': 9 });
    const rows = await t.db.query('SELECT id FROM item WHERE tenant_id = $1 AND sku = $2', [tenant.id, sku]);
    expect(rows).toHaveLength(1);
  });

  it('racing deletes of one item: all 204, exactly one item.deleted row', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => t.http.delete(`/api/items/${item.id}`).set(tenant.auth)),
    );
    expect(tally(responses)).toEqual({ '204': 10 });
    const rows = (await auditRows(t, tenant.id, 'item.deleted')).filter(
      (r: { object_id: string }) => r.object_id === item.id,
    );
    expect(rows).toHaveLength(1);
  });

  it('adjustments racing a delete never touch a deleted item: each 200 is audited before the delete', async () => {
    const item = await newItem(t, tenant, { qty: 100 });
    const adjusts = Array.from({ length: 20 }, () => adjustQty(t, tenant, item.id, { delta: -1 }));
    const [responses] = await Promise.all([
      Promise.all(adjusts),
      t.http.delete(`/api/items/${item.id}`).set(tenant.auth).expect(204),
    ]);
    const ok = responses.filter((r) => r.status === 200).length;
    expect(ok + responses.filter((r) => r.status === 404 && r.body.error === 'not_found').length).toBe(20);
    const [stock] = await t.db.query('SELECT on_hand FROM stock WHERE item_id = $1', [item.id]);
    expect(stock.on_hand).toBe(100 - ok);
    const actions = (await auditRows(t, tenant.id))
      .filter((r: { object_id: string }) => r.object_id === item.id)
      .map((r: { action: string }) => r.action);
    expect(actions).toEqual(['item.created', ...Array(ok).fill('stock.adjusted'), 'item.deleted']);
  });
});
