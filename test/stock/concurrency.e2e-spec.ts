import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import type { Response } from 'supertest';
import { adjustQty, newItem, newTenant, tally, type TestTenant } from '../support/fixtures.js';
import { assertInvariant } from '../support/reservations.js';
import { newWarehouse, putStockBySql, stockOf } from '../support/stock.js';
import { adjustStock, countStock, transferStock } from '../support/stock-operations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';

/** Requests fired at once per test: enough that locking rows out of order deadlocks (it did, tried by hand). */
const ROUNDS = 30;

/** Real parallel requests on the same rows: the right ones win, nothing deadlocks, no unit appears or vanishes. */
describe('stock operations under concurrency', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let w1: string;
  let w2: string;
  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
    w1 = tenant.defaultWarehouseId;
    w2 = (await newWarehouse(t, tenant)).id;
  });
  afterAll(async () => {
    await assertInvariant(t, tenant.id);
    await t.close();
  });

  /**
   * Sends the requests and checks that no transaction was run again: PostgreSQL
   * broke no deadlock (TransactionRunner.run would retry it, invisibly to the client).
   */
  async function withoutRetries(send: () => Promise<Response[]>): Promise<Response[]> {
    const runner = t.app.get(TransactionRunner);
    const run = jest.spyOn(runner, 'run');
    const own = jest.spyOn(runner, 'runOwn');
    try {
      const responses = await send();
      expect(own.mock.calls.length).toBe(run.mock.calls.length);
      return responses;
    } finally {
      run.mockRestore();
      own.mockRestore();
    }
  }

  it('counts with expected_on_hand racing adjustments: a count wins only on the value it expected, the rest 409', async () => {
    for (let round = 0; round < 4; round++) {
      const item = await newItem(t, tenant, { qty: 100 });
      const counts = Array.from({ length: 8 }, (_, k) => 200 + k);
      const sent = () =>
        counts.map((value) =>
          countStock(t, tenant, {
            lines: [{ item_id: item.id, warehouse_id: w1, on_hand: value, expected_on_hand: 100 }],
          })
            .set('X-Request-Id', `race-${item.id}-${value}`)
            .then((res) => ({ res, value })),
        );
      const adjustments = () => Array.from({ length: 8 }, () => adjustQty(t, tenant, item.id, { delta: -1 }));
      let countResults: { res: Response; value: number }[] = [];
      const adjustResults = await withoutRetries(async () => {
        const [c, a] = await Promise.all([Promise.all(sent()), Promise.all(adjustments())]);
        countResults = c;
        return a;
      });
      expect(tally(adjustResults)).toEqual({ '200': 8 });
      const won = countResults.filter((c) => c.res.status === 200);
      const lost = countResults.filter((c) => c.res.status !== 200);
      expect(won.length).toBeLessThanOrEqual(1);
      expect(tally(lost.map((c) => c.res))).toEqual(lost.length ? { '409 quantity_changed': lost.length } : {});
      for (const { res } of lost) expect(res.body.details[0].on_hand).not.toBe(100);
      const [row] = await t.db.query(
        `SELECT seq, on_hand_after - on_hand_delta AS before FROM stock_movement WHERE item_id = $1 AND type = 'counted'`,
        [item.id],
      );
      if (won.length === 1) {
        // The winner found exactly what it expected: it came before every adjustment.
        expect(row).toEqual({ seq: 2, before: 100 });
        expect(await stockOf(t, item.id)).toEqual({ [w1]: { on_hand: won[0]!.value - 8, reserved: 0 } });
      } else {
        expect(row).toBeUndefined();
        expect(await stockOf(t, item.id)).toEqual({ [w1]: { on_hand: 92, reserved: 0 } });
      }
    }
  });

  it('transfers in both directions between two warehouses at once: no deadlock, no 5xx, units conserved', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    await putStockBySql(t, tenant, item.id, w2, 10);
    const move = (from: string, to: string) =>
      transferStock(t, tenant, { item_id: item.id, from_warehouse_id: from, to_warehouse_id: to, quantity: 3 });
    const requests: Promise<Response>[] = [];
    for (let i = 0; i < 2 * ROUNDS; i++) requests.push(move(w1, w2), move(w2, w1));
    const responses = await withoutRetries(() => Promise.all(requests));
    const counts = tally(responses);
    expect(Object.keys(counts).filter((k) => k !== '200' && k !== '400 insufficient_stock')).toEqual([]);
    const there = responses.filter((r, i) => r.status === 200 && i % 2 === 0).length;
    const back = responses.filter((r, i) => r.status === 200 && i % 2 === 1).length;
    expect(await stockOf(t, item.id)).toEqual({
      [w1]: { on_hand: 10 - 3 * there + 3 * back, reserved: 0 },
      [w2]: { on_hand: 10 + 3 * there - 3 * back, reserved: 0 },
    });
    expect(there + back).toBeGreaterThan(0);
  });

  it('batches over the same rows in opposite line orders, creating rows too: no deadlock, all or nothing holds', async () => {
    const items = await Promise.all(Array.from({ length: 8 }, () => newItem(t, tenant, { qty: 5 })));
    const ordered = (asc: boolean) => (asc ? items : [...items].reverse());
    // Up: +1 on every item in both warehouses (the w2 rows do not exist yet).
    const up = (asc: boolean) =>
      adjustStock(t, tenant, {
        lines: ordered(asc).flatMap((i) => [
          { item_id: i.id, warehouse_id: w1, delta: 1 },
          { item_id: i.id, warehouse_id: w2, delta: 1, type: 'received' },
        ]),
      });
    // Down: -1 on every item in w1, and 2 more of the first item: it fails whole once the first item runs short.
    const down = (asc: boolean) =>
      adjustStock(t, tenant, {
        lines: [
          ...ordered(asc).map((i) => ({ item_id: i.id, warehouse_id: w1, delta: -1 })),
          { item_id: items[0]!.id, warehouse_id: w1, delta: -2, type: 'damaged' },
        ],
      });
    const requests: Promise<Response>[] = [];
    for (let i = 0; i < ROUNDS; i++) requests.push(up(i % 2 === 0), down(i % 2 === 1), down(i % 2 === 0));
    const responses = await withoutRetries(() => Promise.all(requests));
    const counts = tally(responses);
    expect(Object.keys(counts).filter((k) => k !== '200' && k !== '400 insufficient_stock')).toEqual([]);
    const ups = responses.filter((r, i) => i % 3 === 0 && r.status === 200).length;
    const downs = responses.filter((r, i) => i % 3 !== 0 && r.status === 200).length;
    expect(ups).toBe(ROUNDS);
    expect(downs).toBeGreaterThan(0);
    expect(3 * downs).toBeLessThanOrEqual(5 + ROUNDS); // the first item never had more than 5 + ROUNDS units
    for (const [n, item] of items.entries()) {
      expect(await stockOf(t, item.id)).toEqual({
        [w1]: { on_hand: 5 + ups - downs * (n === 0 ? 3 : 1), reserved: 0 },
        [w2]: { on_hand: ups, reserved: 0 },
      });
    }
  });
});
