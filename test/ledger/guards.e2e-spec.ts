import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectError, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { adminLedgerCheck, behindTheLedger, ledgerCheckOf } from '../support/ledger.js';
import { stockRow } from '../support/stock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// What the database refuses (stock changed without its movement, a rewritten
// ledger), and what the check reports when the books are broken anyway.

let t: TestApp;
let tenant: TestTenant;
beforeAll(async () => {
  t = await startTestApp({ ENABLE_CRON: 'false' });
  tenant = await newTenant(t);
});
afterAll(() => t.close());

describe('the database guards the ledger', () => {
  it('refuses to commit a stock change without its movement (stock_change_recorded)', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    await expect(
      t.db.query('UPDATE stock SET on_hand = on_hand + 1 WHERE item_id = $1', [item.id]),
    ).rejects.toMatchObject({
      constraint: 'stock_change_recorded',
    });
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 5, reserved: 0 });
  });

  it('refuses to delete a stock row that holds units (stock_delete_empty_only)', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    await expect(t.db.query('DELETE FROM stock WHERE item_id = $1', [item.id])).rejects.toMatchObject({
      constraint: 'stock_delete_empty_only',
    });
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 2, reserved: 0 });
  });

  it.each([
    ['UPDATE', `UPDATE stock_movement SET on_hand_delta = on_hand_delta + 1 WHERE item_id = $1`],
    ['DELETE', `DELETE FROM stock_movement WHERE item_id = $1`],
  ])('refuses %s of stock_movement', async (_op, sql) => {
    const item = await newItem(t, tenant, { qty: 5 });
    await expect(t.db.query(sql, [item.id])).rejects.toThrow(/stock_movement is append-only/);
    expect((await ledgerCheckOf(t, tenant.id)).problems).toEqual([]);
  });

  it('refuses TRUNCATE of stock_movement', async () => {
    await expect(t.db.query('TRUNCATE stock_movement CASCADE')).rejects.toThrow(/append-only: TRUNCATE/);
  });
});

describe('checkLedger and GET /api/admin/ledger', () => {
  it('report a stock row changed behind the ledger, until it is put back', async () => {
    const broken = await newTenant(t); // its own tenant: no other test sees the broken row
    const item = await newItem(t, broken, { qty: 5 });
    const w = broken.defaultWarehouseId;
    await behindTheLedger(t, 'UPDATE stock SET on_hand = on_hand + 1 WHERE item_id = $1', [item.id]);
    try {
      const expected = {
        tenant_id: broken.id,
        item_id: item.id,
        warehouse_id: w,
        problems: [
          'on_hand is 6, its movements add up to 5',
          'the last movement leaves on_hand 5 and reserved 0, the row has 6 and 0',
        ],
        stock: { on_hand: 6, reserved: 0, movement_seq: 1 },
        ledger: { on_hand: 5, reserved: 0, movements: 1, last_seq: 1 },
      };
      expect(await ledgerCheckOf(t, broken.id)).toEqual({ stock_rows: 1, movements: 1, problems: [expected] });
      const res = await adminLedgerCheck(t, { tenant_id: broken.id }).expect(200);
      expect(res.body.data).toEqual({ stock_rows: 1, movements: 1, problems: [expected] });
      // Every tenant: this one's row is among the problems (other files' tenants may be mid-test).
      const all = await adminLedgerCheck(t).expect(200);
      expect(all.body.data.stock_rows).toBeGreaterThanOrEqual(1);
      expect(all.body.data.problems).toContainEqual(expected);
    } finally {
      await behindTheLedger(t, 'UPDATE stock SET on_hand = on_hand - 1 WHERE item_id = $1', [item.id]);
    }
    expect((await adminLedgerCheck(t, { tenant_id: broken.id }).expect(200)).body.data).toEqual({
      stock_rows: 1,
      movements: 1,
      problems: [],
    });
  });

  it('a tenant without stock checks clean; bad input is 400; only the ADMIN_TOKEN may ask', async () => {
    const empty = await newTenant(t);
    expect((await adminLedgerCheck(t, { tenant_id: empty.id }).expect(200)).body.data).toEqual({
      stock_rows: 0,
      movements: 0,
      problems: [],
    });
    expectError(await adminLedgerCheck(t, { tenant_id: 'x' }), 400, 'validation_failed');
    expectError(await adminLedgerCheck(t, { verbose: 'true' }), 400, 'validation_failed');
    expectError(await t.http.get('/api/admin/ledger').set(tenant.auth), 403, 'forbidden');
    expectError(await t.http.get('/api/admin/ledger'), 401, 'unauthorized');
  });
});
