import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { moveLockedRow } from '../../src/inventory/stock.repository.js';
import { auditOf, expectUnchanged, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { stockOf, TEST_NOTE } from '../support/stock.js';
import { driveTo, getOrder, orderOf, type OrderStatus, transition, transitionOk } from '../support/orders.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * An item is not deleted while an order could still put units back on it:
 * cancelling a confirmed order restocks, and units on a deleted item are units
 * no API can see (issue 11, defect 5).
 */
describe('deleting an item that orders may restock', () => {
  let t: TestApp;
  let tenant: TestTenant;
  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  const deleteItem = (id: string) => t.http.delete(`/api/items/${id}`).set(tenant.auth);

  it('refuses the delete while a confirmed order has lines of the item; after the cancel it deletes', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const order = await orderOf(t, tenant, item.id, 2);
    await transitionOk(t, tenant, order.id, 'confirmed');
    const res = await expectUnchanged(t, tenant, () => deleteItem(item.id), 400, 'item_in_use');
    expect(res.body.message).toMatch(/confirmed or processing orders/);
    expect(res.body.details).toEqual([{ reserved: 0, outstanding: 2 }]);

    await transitionOk(t, tenant, order.id, 'cancelled');
    expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 5, reserved: 0 } });
    await deleteItem(item.id).expect(204);
  });

  it.each<[OrderStatus, boolean]>([
    ['pending', false],
    ['confirmed', false],
    ['processing', false],
    ['shipped', true],
    ['delivered', true],
    ['cancelled', true],
  ])('with an order %s: deletable %s', async (status, deletable) => {
    const item = await newItem(t, tenant, { qty: 5 });
    const order = await orderOf(t, tenant, item.id, 2);
    await driveTo(t, tenant, order.id, status);
    if (deletable) await deleteItem(item.id).expect(204);
    else await expectUnchanged(t, tenant, () => deleteItem(item.id), 400, 'item_in_use');
  });

  it('the database refuses units landing on a deleted item, whatever the code does', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    await deleteItem(item.id).expect(204);
    const grow = t.db.query('UPDATE stock SET on_hand = on_hand + 1 WHERE item_id = $1', [item.id]);
    await expect(grow).rejects.toMatchObject({
      driverError: expect.objectContaining({ constraint: 'stock_item_live' }),
    });
    const insert = t.db.query(
      `INSERT INTO warehouse (tenant_id, code, name) VALUES ($1, 'LATE', 'late') RETURNING id`,
      [tenant.id],
    );
    const [{ id: warehouseId }] = await insert;
    const create = t.db.query('INSERT INTO stock (tenant_id, item_id, warehouse_id, on_hand) VALUES ($1, $2, $3, 1)', [
      tenant.id,
      item.id,
      warehouseId,
    ]);
    await expect(create).rejects.toMatchObject({
      driverError: expect.objectContaining({ constraint: 'stock_item_live' }),
    });
    // Units may still leave a deleted item's stock (nothing does today, but it loses nothing).
    const [row] = await t.db.query('SELECT warehouse_id FROM stock WHERE item_id = $1', [item.id]);
    await t.db.transaction(async (m) => {
      const movement = { ...TEST_NOTE, type: 'adjusted' as const, item_id: item.id, warehouse_id: row.warehouse_id };
      await moveLockedRow(m, { ...movement, on_hand: -1, reserved: 0 });
    });
  });

  /**
   * Real parallel requests: a delete racing the confirm and the cancel of orders
   * of the item. Whatever the interleaving, either the delete is refused or no
   * unit lands on the item after it: the stock a deleted item ends with is the
   * stock its item.deleted audit row saw.
   */
  it('a delete racing confirms and cancels never leaves units arriving on a deleted item', async () => {
    const outcomes: Record<string, number> = {};
    for (let round = 0; round < 16; round++) {
      const item = await newItem(t, tenant, { qty: 10 });
      const toCancel = await orderOf(t, tenant, item.id, 3);
      await transitionOk(t, tenant, toCancel.id, 'confirmed');
      // Odd rounds add a pending order confirmed meanwhile; some rounds give the transitions a head start.
      const toConfirm = round % 2 ? await orderOf(t, tenant, item.id, 2) : undefined;
      const delay = round % 4 < 2 ? 0 : 2;
      const [, , deleted] = await Promise.all([
        toConfirm ? transition(t, tenant, toConfirm.id, 'confirmed') : undefined,
        transition(t, tenant, toCancel.id, 'cancelled'),
        new Promise((r) => setTimeout(r, delay)).then(() => deleteItem(item.id)),
      ]);
      const key = `${deleted.status} ${deleted.body?.error ?? ''}`.trim();
      outcomes[key] = (outcomes[key] ?? 0) + 1;
      // Then cancel whatever is still confirmed or pending: every unit goes back.
      for (const order of [toCancel, toConfirm]) {
        if (order && (await getOrder(t, tenant, order.id)).status !== 'cancelled')
          await transitionOk(t, tenant, order.id, 'cancelled');
      }
      await deleteItem(item.id).expect(204);

      // All 10 units are back, and they were back before the delete: its audit row saw them.
      expect(await stockOf(t, item.id)).toEqual({ [tenant.defaultWarehouseId]: { on_hand: 10, reserved: 0 } });
      const deletions = await auditOf(t, tenant.id, 'item.deleted', item.id);
      expect(deletions).toHaveLength(1);
      expect(deletions[0].old_value).toMatchObject({ qty: 10, reserved: 0 });
    }
    expect(Object.keys(outcomes).filter((k) => k !== '204' && k !== '400 item_in_use')).toEqual([]);
  });
});
