import type { SqlPart } from '../database/sql.js';
import type { Movement } from './movement.js';

/**
 * The movements of one change as rows (item_id, warehouse_id, on_hand_delta,
 * reserved_delta, …, ord), for the stock UPDATE to add up and the ledger to record:
 * one list feeds both, so they cannot disagree. `ord` keeps the caller's order.
 */
export function movementLinesPart(movements: Movement[]): SqlPart {
  const col = <K extends keyof Movement>(k: K) => movements.map((m) => m[k] ?? null);
  return {
    text: `SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::int[], $4::int[], $5::text[], $6::text[], $7::text[],
                                $8::text[], $9::text[])
           WITH ORDINALITY AS m(item_id, warehouse_id, on_hand_delta, reserved_delta, type, reference, reason, actor,
                                request_id, ord)`,
    params: [
      col('item_id'),
      col('warehouse_id'),
      col('on_hand'),
      col('reserved'),
      col('type'),
      col('reference'),
      col('reason'),
      col('actor'),
      col('request_id'),
    ],
  };
}

/**
 * One ledger row per movement in `lines` whose stock row `moved` changed.
 * `moved` returns each row once, after all of its movements, with its last
 * number: movement k of n on a row is number movement_seq - (n - k), and its
 * "after" values are the row's final ones less what the later movements added.
 * A movement of a row the guard left alone (not in `moved`) is not recorded.
 * Sorted, so that ids follow the numbers of each row. Returns the movements
 * (the stock events are made of them).
 */
export function recordMovementsPart(lines: string, moved: string): SqlPart {
  return {
    text: `INSERT INTO stock_movement (tenant_id, item_id, warehouse_id, seq, type, on_hand_delta, reserved_delta,
                                       on_hand_after, reserved_after, reference, reason, actor, request_id)
           SELECT r.tenant_id, m.item_id, m.warehouse_id,
                  r.movement_seq - count(*) OVER later,
                  m.type, m.on_hand_delta, m.reserved_delta,
                  r.on_hand - coalesce(sum(m.on_hand_delta) OVER later, 0),
                  r.reserved - coalesce(sum(m.reserved_delta) OVER later, 0),
                  m.reference, m.reason, m.actor, m.request_id
           FROM ${lines} m JOIN ${moved} r ON r.item_id = m.item_id AND r.warehouse_id = m.warehouse_id
           WINDOW later AS (PARTITION BY m.item_id, m.warehouse_id ORDER BY m.ord
                            ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING)
           ORDER BY m.item_id, m.warehouse_id, m.ord
           RETURNING *`,
    params: [],
  };
}
