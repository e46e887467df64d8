import { describe, expect, it } from '@jest/globals';
import { StockLedger1732700000000 } from '../../src/database/migrations/1732700000000-stock-ledger.js';
import { checkLedger } from '../../src/ledger/ledger-check.js';
import { scratchDatabase } from '../support/scratch-database.js';

// The ledger migration on a database with stock: one `opening` movement per row
// that holds something, numbered 1, and books that balance from the start.

const scratch = scratchDatabase('inventory_ledger');

describe('migration StockLedger1732700000000', () => {
  it('writes one opening movement per non-zero stock row, seq 1, and checkLedger is clean', async () => {
    const before = await scratch(StockLedger1732700000000);
    let ids: { tenant: string; a: string; b: string; c: string; w1: string; w2: string };
    try {
      const [{ id: tenant }] = await before.query(`INSERT INTO tenant (name) VALUES ('old') RETURNING id`);
      const [{ id: w1 }] = await before.query(
        `INSERT INTO warehouse (tenant_id, code, name, is_default) VALUES ($1, 'W1', 'One', true) RETURNING id`,
        [tenant],
      );
      const [{ id: w2 }] = await before.query(
        `INSERT INTO warehouse (tenant_id, code, name) VALUES ($1, 'W2', 'Two') RETURNING id`,
        [tenant],
      );
      const item = async (n: string) =>
        (await before.query(`INSERT INTO item (tenant_id, name) VALUES ($1, $2) RETURNING id`, [tenant, n]))[0].id;
      const [a, b, c] = [await item('a'), await item('b'), await item('c')];
      await before.query(
        `INSERT INTO stock (tenant_id, item_id, warehouse_id, on_hand, reserved) VALUES
           ($1, $2, $5, 7, 2), ($1, $2, $6, 3, 0), ($1, $3, $5, 0, 0), ($1, $4, $5, 12, 0)`,
        [tenant, a, b, c, w1, w2],
      );
      ids = { tenant, a, b, c, w1, w2 };
    } finally {
      await before.destroy();
    }

    const after = await scratch();
    try {
      const movements = await after.query(
        `SELECT item_id, warehouse_id, seq, type, on_hand_delta, reserved_delta, on_hand_after, reserved_after, actor
         FROM stock_movement ORDER BY on_hand_after`,
      );
      const opening = (item: string, warehouse: string, qty: number, reserved = 0) => ({
        item_id: item,
        warehouse_id: warehouse,
        seq: 1,
        type: 'opening',
        on_hand_delta: qty,
        reserved_delta: reserved,
        on_hand_after: qty,
        reserved_after: reserved,
        actor: 'system',
      });
      expect(movements).toEqual([opening(ids.a, ids.w2, 3), opening(ids.a, ids.w1, 7, 2), opening(ids.c, ids.w1, 12)]);
      const seqs = await after.query(`SELECT item_id, movement_seq FROM stock ORDER BY on_hand`);
      expect(seqs).toEqual([
        { item_id: ids.b, movement_seq: 0 },
        { item_id: ids.a, movement_seq: 1 },
        { item_id: ids.a, movement_seq: 1 },
        { item_id: ids.c, movement_seq: 1 },
      ]);
      expect(await checkLedger(after.manager)).toEqual({ stock_rows: 4, movements: 3, problems: [] });
    } finally {
      await after.destroy();
    }
  });
});
