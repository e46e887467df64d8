import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** The database's own backstop: no units land on a deleted item, whatever races a delete. */
describe('stock of a deleted item', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const sessions: pg.Client[] = [];
  const session = async () => {
    const client = new pg.Client({ connectionString: process.env.DATABASE_URL });
    sessions.push(client);
    await client.connect();
    return client;
  };

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(async () => {
    await Promise.all(sessions.map((c) => c.end().catch(() => undefined)));
    await t.close();
  });

  it('an insert of stock waiting on a delete in progress is refused once the delete commits', async () => {
    const item = await newItem(t, tenant, { qty: 0 });
    const [{ id: warehouseId }] = await t.db.query(
      `INSERT INTO warehouse (tenant_id, code, name) VALUES ($1, 'RACE-' || substr(md5(random()::text), 1, 6), 'race') RETURNING id`,
      [tenant.id],
    );
    const deleter = await session();
    const inserter = await session();
    await deleter.query('BEGIN');
    await deleter.query('SELECT 1 FROM item WHERE id = $1 FOR UPDATE', [item.id]);
    await deleter.query('UPDATE item SET deleted_at = now() WHERE id = $1', [item.id]);
    const insert = inserter
      .query('INSERT INTO stock (tenant_id, item_id, warehouse_id, on_hand) VALUES ($1, $2, $3, 7)', [
        tenant.id,
        item.id,
        warehouseId,
      ])
      .then(
        () => 'inserted',
        (err: { constraint?: string }) => `refused by ${err.constraint}`,
      );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await deleter.query('COMMIT');
    expect(await insert).toBe('refused by stock_item_live');
    expect(
      await t.db.query('SELECT 1 FROM stock WHERE item_id = $1 AND warehouse_id = $2', [item.id, warehouseId]),
    ).toEqual([]);
  });
});
