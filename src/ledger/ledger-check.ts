import type { DataSource, EntityManager } from 'typeorm';
import { sql } from '../database/sql.js';

/** A stock row the ledger does not explain, with both sides of the books. */
export interface LedgerProblem {
  tenant_id: string;
  item_id: string;
  warehouse_id: string;
  /** What is wrong, one line each. */
  problems: string[];
  stock: { on_hand: number; reserved: number; movement_seq: number } | null;
  ledger: { on_hand: number; reserved: number; movements: number; last_seq: number };
}

export interface LedgerCheck {
  stock_rows: number;
  movements: number;
  problems: LedgerProblem[];
}

interface CheckRow {
  tenant_id: string;
  item_id: string;
  warehouse_id: string;
  on_hand: number | null;
  reserved: number | null;
  movement_seq: number | null;
  ledger_on_hand: string;
  ledger_reserved: string;
  movements: number;
  last_seq: number;
  numbered: boolean;
  chained: boolean;
  last_on_hand: number | null;
  last_reserved: number | null;
}

/**
 * Checks the books of every stock row (of one tenant, or all): on_hand and
 * reserved are the sums of the row's movements; its movements are numbered 1…n
 * without a gap, n being the row's movement_seq; each movement's "after" values
 * are the previous ones plus its deltas, and the last ones are the row's. Also
 * finds movements of a stock row that does not exist. One scan of each table.
 */
export async function checkLedger(manager: EntityManager, tenantId?: string): Promise<LedgerCheck> {
  const rows = await sql<CheckRow>(
    manager,
    `WITH chain AS (
       SELECT tenant_id, item_id, warehouse_id, seq, on_hand_delta, reserved_delta, on_hand_after, reserved_after,
              seq = row_number() OVER w AS numbered,
              coalesce(lag(on_hand_after) OVER w, 0) + on_hand_delta = on_hand_after
                AND coalesce(lag(reserved_after) OVER w, 0) + reserved_delta = reserved_after AS chained,
              lead(seq) OVER w IS NULL AS is_last
       FROM stock_movement WHERE $1::uuid IS NULL OR tenant_id = $1
       WINDOW w AS (PARTITION BY item_id, warehouse_id ORDER BY seq)
     ), ledger AS (
       SELECT item_id, warehouse_id, (array_agg(tenant_id))[1] AS tenant_id,
              sum(on_hand_delta) AS on_hand, sum(reserved_delta) AS reserved, count(*)::int AS movements,
              max(seq) AS last_seq, bool_and(numbered) AS numbered, bool_and(chained) AS chained,
              max(on_hand_after) FILTER (WHERE is_last) AS last_on_hand,
              max(reserved_after) FILTER (WHERE is_last) AS last_reserved
       FROM chain GROUP BY item_id, warehouse_id
     ), books AS (
       SELECT coalesce(s.tenant_id, l.tenant_id) AS tenant_id, coalesce(s.item_id, l.item_id) AS item_id,
              coalesce(s.warehouse_id, l.warehouse_id) AS warehouse_id,
              s.on_hand, s.reserved, s.movement_seq,
              coalesce(l.on_hand, 0) AS ledger_on_hand, coalesce(l.reserved, 0) AS ledger_reserved,
              coalesce(l.movements, 0) AS movements, coalesce(l.last_seq, 0) AS last_seq,
              coalesce(l.numbered, true) AS numbered, coalesce(l.chained, true) AS chained,
              l.last_on_hand, l.last_reserved
       FROM (SELECT * FROM stock WHERE $1::uuid IS NULL OR tenant_id = $1) s
       FULL JOIN ledger l ON l.item_id = s.item_id AND l.warehouse_id = s.warehouse_id
     )
     SELECT * FROM books
     WHERE on_hand IS NULL OR on_hand <> ledger_on_hand OR reserved <> ledger_reserved OR movement_seq <> last_seq
        OR NOT numbered OR NOT chained OR last_on_hand <> on_hand OR last_reserved <> reserved
     ORDER BY tenant_id, item_id, warehouse_id`,
    [tenantId ?? null],
  );
  const [counts] = await sql<{ stock_rows: number; movements: number }>(
    manager,
    `SELECT (SELECT count(*) FROM stock WHERE $1::uuid IS NULL OR tenant_id = $1)::int AS stock_rows,
            (SELECT count(*) FROM stock_movement WHERE $1::uuid IS NULL OR tenant_id = $1)::int AS movements`,
    [tenantId ?? null],
  );
  return { stock_rows: counts!.stock_rows, movements: counts!.movements, problems: rows.map(toProblem) };
}

/** The books of one row in words: what does not add up. */
export function toProblem(r: CheckRow): LedgerProblem {
  const ledger = {
    on_hand: Number(r.ledger_on_hand),
    reserved: Number(r.ledger_reserved),
    movements: r.movements,
    last_seq: r.last_seq,
  };
  const problems: string[] = [];
  if (r.on_hand === null || r.reserved === null || r.movement_seq === null) {
    problems.push('movements of a stock row that does not exist');
  } else {
    if (r.on_hand !== ledger.on_hand)
      problems.push(`on_hand is ${r.on_hand}, its movements add up to ${ledger.on_hand}`);
    if (r.reserved !== ledger.reserved) {
      problems.push(`reserved is ${r.reserved}, its movements add up to ${ledger.reserved}`);
    }
    if (r.movement_seq !== ledger.last_seq) {
      problems.push(`the row's last movement is number ${r.movement_seq}, the ledger's is ${ledger.last_seq}`);
    }
    if (r.last_on_hand !== null && (r.last_on_hand !== r.on_hand || r.last_reserved !== r.reserved)) {
      problems.push(
        `the last movement leaves on_hand ${r.last_on_hand} and reserved ${r.last_reserved}, the row has ${r.on_hand} and ${r.reserved}`,
      );
    }
  }
  if (!r.numbered) problems.push(`the ${ledger.movements} movements are not numbered 1…${ledger.movements}`);
  if (!r.chained) problems.push('a movement does not start where the one before it ended');
  const stock =
    r.on_hand === null ? null : { on_hand: r.on_hand, reserved: r.reserved!, movement_seq: r.movement_seq! };
  return { tenant_id: r.tenant_id, item_id: r.item_id, warehouse_id: r.warehouse_id, problems, stock, ledger };
}

/**
 * checkLedger in one read-only snapshot (the counts and the problems agree), with
 * a statement timeout of its own (0: none) that ends with the transaction: SET
 * LOCAL, so that no server session keeps it, with or without PgBouncer.
 */
export function checkLedgerSnapshot(
  dataSource: DataSource,
  tenantId: string | undefined,
  statementTimeoutMs: number,
): Promise<LedgerCheck> {
  return dataSource.transaction('REPEATABLE READ', async (manager) => {
    await manager.query(`SET LOCAL statement_timeout = ${statementTimeoutMs}; SET TRANSACTION READ ONLY`);
    return checkLedger(manager, tenantId);
  });
}
