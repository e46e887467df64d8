import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { UnitOfWork } from '../../src/database/unit-of-work.js';
import { newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { orderOf, transitionOk } from '../support/orders.js';
import { reserveOk } from '../support/reservations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/**
 * The combined statements that reserve, confirm and cancel write, as committed
 * snapshots (test/database/__snapshots__): a change to the SQL of the write path
 * shows in review. Parameters are left out; they differ on every run.
 */
describe('the statements of the write path', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let written: string[] = [];
  const flush = UnitOfWork.prototype.flush;

  beforeAll(async () => {
    UnitOfWork.prototype.flush = function <T>(this: UnitOfWork, returning?: string) {
      if (this.names.length > 0) written.push(this.statement(returning).text);
      return flush.call(this, returning) as Promise<T[]>;
    };
    t = await startTestApp();
    tenant = await newTenant(t);
  });
  afterAll(async () => {
    UnitOfWork.prototype.flush = flush;
    await t.close();
  });

  async function statementsOf(work: () => Promise<unknown>): Promise<string[]> {
    written = [];
    await work();
    return written;
  }

  it('reserve', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    expect(
      await statementsOf(() => reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] })),
    ).toMatchSnapshot();
  });

  it('confirm an order', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const order = await orderOf(t, tenant, item.id, 2);
    expect(await statementsOf(() => transitionOk(t, tenant, order.id, 'confirmed'))).toMatchSnapshot();
  });

  it('cancel a pending order', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const order = await orderOf(t, tenant, item.id, 2);
    expect(await statementsOf(() => transitionOk(t, tenant, order.id, 'cancelled'))).toMatchSnapshot();
  });

  it('cancel a confirmed order', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const order = await orderOf(t, tenant, item.id, 2);
    await transitionOk(t, tenant, order.id, 'confirmed');
    expect(await statementsOf(() => transitionOk(t, tenant, order.id, 'cancelled'))).toMatchSnapshot();
  });
});
