import type { EntityManager } from 'typeorm';
import { touchItems } from '../cache/invalidation.js';
import { sql, type SqlPart } from '../database/sql.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { Movement } from '../ledger/movement.js';
import { stockEventsPart } from '../events/event.repository.js';
import { movementLinesPart, recordMovementsPart } from '../ledger/movement.repository.js';

export interface LockedStock {
  item_id: string;
  warehouse_id: string;
  on_hand: number;
  reserved: number;
}

export interface StockKey {
  item_id: string;
  warehouse_id: string;
}

/*
 * Lock order, the one rule that keeps every path deadlock-free:
 *   order row -> reservation rows -> stock rows, and stock rows always sorted by
 *   (item_id, warehouse_id) and taken in a single statement.
 * The paths that take a reservation lock while holding stock locks (a
 * reservation, an adjustment or a delete freeing lapsed holds) do so with SKIP
 * LOCKED, so they never wait.
 */

export interface PrioritizedStock extends LockedStock {
  /** The warehouse's allocation priority: lower first. */
  priority: number;
  /** Whether the warehouse is active: allocation passes an inactive one over, and lines may not name it. */
  active: boolean;
}

export interface LockedForReservation {
  /** The live items among those asked for (deleted and unknown ones are not). */
  live: Set<string>;
  /** Every stock row of the live items, locked, sorted by (item_id, warehouse_id). */
  stock: PrioritizedStock[];
  /** The transaction's timestamp, `now()`, which the reservation rows are stamped with; none without live items. */
  now?: Date;
  /**
   * With `skipLocked`: live items of which a row (the item's or a stock row) is
   * locked by another transaction. None of their rows is in `stock` or `live`.
   */
  contended: Set<string>;
}

/**
 * Sets the transaction's lock_timeout and statement_timeout (SET LOCAL) and answers
 * the values it had, read before they change, to put back the same way. Not `TO
 * DEFAULT`: that is the session's value, which behind a transaction-pooling PgBouncer
 * is the server's, not the one the transaction began with (see DB_POOL_MODE).
 */
async function swapWaitLimits(manager: EntityManager, lockTimeout: string, statementTimeout = lockTimeout) {
  const [before] = await sql<{ lock_timeout: string; statement_timeout: string }>(
    manager,
    `WITH before AS MATERIALIZED (
       SELECT current_setting('lock_timeout') AS lock_timeout, current_setting('statement_timeout') AS statement_timeout
     )
     SELECT lock_timeout, statement_timeout, set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)
     FROM before`,
    [lockTimeout, statementTimeout],
  );
  return before!;
}

/**
 * What taking holds needs, in one statement: KEY SHARE on the live items among
 * `itemIds` (so that none is deleted meanwhile), then every stock row of them
 * FOR UPDATE, sorted by (item_id, warehouse_id), with its warehouse's priority and
 * whether it is active.
 * The locks and their order are those of two statements, in one round trip:
 * the first branch of the UNION ALL reads (and locks) every live item before the
 * second starts, and the stock rows are locked after they are sorted (LockRows
 * sits above the sort).
 *
 * With `noWait` it fails at once (55P03) if another transaction holds one of
 * the rows, and costs nothing more: what a batch tries first.
 * With `skipLocked` it never waits either: rows another transaction holds are skipped,
 * and a third branch names the items they belong to (the rows the statement's
 * snapshot sees, less those it locked), so that the caller can leave those items
 * alone instead of deciding on part of their stock.
 */
export async function lockForReservation(
  manager: EntityManager,
  tenantId: string,
  itemIds: string[],
  options: { skipLocked?: boolean; noWait?: boolean; lockWaitMs?: number } = {},
): Promise<LockedForReservation> {
  const skip = options.skipLocked ? ' SKIP LOCKED' : options.noWait ? ' NOWAIT' : '';
  // lock_timeout bounds each lock wait on its own; the statement's timeout bounds them together.
  const bounded = options.lockWaitMs !== undefined && !options.skipLocked && !options.noWait;
  const restore = bounded ? await swapWaitLimits(manager, `${Math.max(1, Math.round(options.lockWaitMs!))}ms`) : null;
  const contendedBranch = options.skipLocked
    ? `
     UNION ALL
     SELECT i.id, NULL, NULL, NULL, NULL, NULL, now(), true FROM item i
     WHERE i.tenant_id = $1 AND i.id = ANY($2::uuid[]) AND i.deleted_at IS NULL
       AND (i.id NOT IN (SELECT id FROM live)
            OR EXISTS (SELECT 1 FROM stock s WHERE s.tenant_id = $1 AND s.item_id = i.id
                       AND (s.item_id, s.warehouse_id) NOT IN (SELECT item_id, warehouse_id FROM locked)))`
    : '';
  const rows = await sql<{
    item_id: string;
    warehouse_id: string | null;
    on_hand: number;
    reserved: number;
    priority: number;
    active: boolean;
    now: Date;
    contended: boolean;
  }>(
    manager,
    `WITH live AS MATERIALIZED (
       SELECT id FROM item
       WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL
       ORDER BY id FOR KEY SHARE${skip}
     ), locked AS MATERIALIZED (
       SELECT s.item_id, s.warehouse_id, s.on_hand, s.reserved, w.priority, w.active
       FROM stock s JOIN warehouse w ON w.id = s.warehouse_id
       WHERE s.tenant_id = $1 AND s.item_id IN (SELECT id FROM live)
       ORDER BY s.item_id, s.warehouse_id
       FOR UPDATE OF s${skip}
     )
     SELECT id AS item_id, NULL::uuid AS warehouse_id, NULL::int AS on_hand, NULL::int AS reserved, NULL::int AS priority,
            NULL::boolean AS active, now() AS now, false AS contended
     FROM live
     UNION ALL
     SELECT item_id, warehouse_id, on_hand, reserved, priority, active, now(), false FROM locked${contendedBranch}`,
    [tenantId, itemIds],
  );
  if (restore) await swapWaitLimits(manager, restore.lock_timeout, restore.statement_timeout);
  const live = new Set<string>();
  const contended = new Set<string>();
  const stock: PrioritizedStock[] = [];
  for (const { warehouse_id, now: _now, contended: isContended, ...row } of rows) {
    if (isContended) contended.add(row.item_id);
    else if (warehouse_id === null) live.add(row.item_id);
    else stock.push({ ...row, warehouse_id });
  }
  // A contended item is left whole: none of its rows is decided on.
  contended.forEach((id) => live.delete(id));
  const decided = contended.size > 0 ? stock.filter((s) => !contended.has(s.item_id)) : stock;
  decided.sort((a, b) => compareIds(a.item_id, b.item_id) || compareIds(a.warehouse_id, b.warehouse_id));
  return { live, stock: decided, now: rows[0]?.now, contended };
}

/** PostgreSQL's order of uuids (bytewise) is the order of their lower-case text. */
export const compareIds = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Locks the given stock rows, sorted. With `skipLocked`, rows another
 * transaction holds are left out instead of waited for. With `itemsFirst`, KEY
 * SHARE on their items comes first, in the same statement (the lock order of
 * every path: item, then stock): a path that may add units to the rows (a
 * restock) then waits for a delete of the item up front, instead of meeting it
 * in the `stock_item_live` trigger while holding the rows the delete waits for.
 */
export async function lockStockRows(
  manager: EntityManager,
  keys: StockKey[],
  options: { skipLocked?: boolean; itemsFirst?: boolean } = {},
): Promise<LockedStock[]> {
  if (keys.length === 0) return [];
  const params = [keys.map((k) => k.item_id), keys.map((k) => k.warehouse_id)];
  const items = options.itemsFirst
    ? `WITH items AS MATERIALIZED (SELECT id FROM item WHERE id = ANY($1::uuid[]) ORDER BY id FOR KEY SHARE) `
    : '';
  return sql<LockedStock>(
    manager,
    `${items}SELECT s.item_id, s.warehouse_id, s.on_hand, s.reserved
     FROM stock s
     JOIN unnest($1::uuid[], $2::uuid[]) AS k(item_id, warehouse_id)
       ON s.item_id = k.item_id AND s.warehouse_id = k.warehouse_id
     ${options.itemsFirst ? 'WHERE s.item_id IN (SELECT id FROM items)' : ''}
     ORDER BY s.item_id, s.warehouse_id
     FOR UPDATE OF s${options.skipLocked ? ' SKIP LOCKED' : ''}`,
    params,
  );
}

export interface MoveOptions {
  /**
   * Leave a row alone (and record nothing for it) when the change would leave
   * fewer than 0 units available: a guarded UPDATE, for a row not locked before.
   */
  guardAvailable?: boolean;
  /**
   * Only rows of items live in this tenant: the statement takes KEY SHARE on the
   * item first (the order of every path: item, then stock), so it waits for a
   * delete in progress and then sees its outcome.
   */
  liveItemOf?: string;
}

/**
 * Moves units on stock rows, records every movement in the ledger and tells of
 * it in the outbox (stock events): parts of a unit of work, named after `name`. The movements feed both the
 * UPDATE (those of one row added up: each row changes once) and the ledger (one
 * row each, numbered after the row's last). The CHECK constraints
 * (0 <= reserved <= on_hand) refuse anything that would oversell or lose units,
 * even if a caller's arithmetic were wrong. Part `name` returns each changed row.
 */
export function moveStock(uow: UnitOfWork, name: string, movements: Movement[], options: MoveOptions = {}): void {
  // Every stock change passes here: the cached views of these items are invalidated once it commits.
  touchItems(
    uow.tx,
    movements.map((m) => m.item_id),
  );
  const lines = `${name}_lines`;
  uow.add(lines, movementLinesPart(movements));
  let liveItems = '';
  if (options.liveItemOf !== undefined) {
    uow.add(`${name}_items`, {
      text: `SELECT id FROM item WHERE tenant_id = $1 AND id IN (SELECT item_id FROM ${lines}) AND deleted_at IS NULL
             ORDER BY id FOR KEY SHARE`,
      params: [options.liveItemOf],
    });
    liveItems = ` AND s.item_id IN (SELECT id FROM ${name}_items)`;
  }
  const guard = options.guardAvailable ? ' AND s.on_hand + v.on_hand_delta - (s.reserved + v.reserved_delta) >= 0' : '';
  uow.add(name, {
    text: `UPDATE stock s
           SET on_hand = s.on_hand + v.on_hand_delta, reserved = s.reserved + v.reserved_delta,
               movement_seq = s.movement_seq + v.movements, updated_at = now(),
               -- this row's events sort after its last ones (see the feed-order migration)
               event_txid = greatest(s.event_txid, pg_current_xact_id())
           FROM (SELECT item_id, warehouse_id, sum(on_hand_delta)::int AS on_hand_delta,
                        sum(reserved_delta)::int AS reserved_delta, count(*)::int AS movements
                 FROM ${lines} GROUP BY item_id, warehouse_id) v
           WHERE s.item_id = v.item_id AND s.warehouse_id = v.warehouse_id${liveItems}${guard}
           ${MOVED_STOCK}`,
    params: [],
  });
  uow.add(`${name}_ledger`, recordMovementsPart(lines, name));
  uow.add(`${name}_events`, stockEventsPart(`${name}_ledger`, name, movements));
}

/** What a moved (or inserted) stock row returns: what the ledger needs, and the new quantities. */
const MOVED_STOCK =
  'RETURNING s.tenant_id, s.item_id, s.warehouse_id, s.on_hand, s.reserved, s.movement_seq, s.event_txid';

/** The map key of a stock row. */
export const stockKey = (s: StockKey): string => `${s.item_id}/${s.warehouse_id}`;

export function uniqueKeys(lines: StockKey[]): StockKey[] {
  const seen = new Map(lines.map((l) => [stockKey(l), { item_id: l.item_id, warehouse_id: l.warehouse_id }]));
  return [...seen.values()];
}

export interface AdjustedStock {
  on_hand: number;
  reserved: number;
}

/**
 * Takes units off one stock row (`movement.on_hand` < 0) in a single guarded
 * statement, so concurrent adjustments can neither lose an update nor take the
 * row below its reserved units; the movement is recorded by the same statement.
 * The item must be live (see MoveOptions.liveItemOf). Returns undefined when
 * nothing was changed (unknown item or row, short stock).
 */
export async function removeStock(
  manager: EntityManager,
  tenantId: string,
  movement: Movement,
): Promise<AdjustedStock | undefined> {
  const uow = new UnitOfWork(manager);
  moveStock(uow, 'removed', [movement], { guardAvailable: true, liveItemOf: tenantId });
  const [row] = await uow.flush<AdjustedStock>('removed');
  return row && { on_hand: row.on_hand, reserved: row.reserved };
}

/**
 * KEY SHARE on the live item, then its stock row in the warehouse FOR UPDATE: the
 * lock order of every path (item, then stock), in one statement: the stock branch
 * reads the item's CTE, so the item is locked first. Undefined when the item is
 * not live; `row` undefined when it has no stock there yet.
 */
export async function lockStockRow(
  manager: EntityManager,
  tenantId: string,
  itemId: string,
  warehouseId: string,
): Promise<{ row?: LockedStock } | undefined> {
  const rows = await sql<{ is_item: boolean } & LockedStock>(
    manager,
    `WITH it AS MATERIALIZED (
       SELECT id FROM item WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL FOR KEY SHARE
     ), locked AS MATERIALIZED (
       SELECT item_id, warehouse_id, on_hand, reserved FROM stock
       WHERE item_id IN (SELECT id FROM it) AND warehouse_id = $3
       FOR UPDATE
     )
     SELECT true AS is_item, id AS item_id, NULL::uuid AS warehouse_id, NULL::int AS on_hand, NULL::int AS reserved
     FROM it
     UNION ALL
     SELECT false, item_id, warehouse_id, on_hand, reserved FROM locked`,
    [itemId, tenantId, warehouseId],
  );
  if (!rows.some((r) => r.is_item)) return undefined;
  const found = rows.find((r) => !r.is_item);
  if (!found) return {};
  const { is_item: _, ...row } = found;
  return { row };
}

/** Every stock row of an item FOR UPDATE, sorted by warehouse (the caller holds the item row: item, then stock). */
export async function lockItemStock(manager: EntityManager, itemId: string): Promise<LockedStock[]> {
  return sql<LockedStock>(
    manager,
    `SELECT item_id, warehouse_id, on_hand, reserved FROM stock WHERE item_id = $1 ORDER BY warehouse_id FOR UPDATE`,
    [itemId],
  );
}

/** One movement on a row the caller has locked and checked. */
export async function moveLockedRow(manager: EntityManager, movement: Movement): Promise<AdjustedStock> {
  const uow = new UnitOfWork(manager);
  moveStock(uow, 'moved', [movement]);
  const [row] = await uow.flush<AdjustedStock>('moved');
  if (!row) throw new Error(`locked stock row ${stockKey(movement)} not found`);
  return { on_hand: row.on_hand, reserved: row.reserved };
}

/**
 * The first stock of a live item (KEY SHARE held by the caller) in a warehouse,
 * with its first movement when it starts with units. A new row has no orders, so
 * no room to keep. Undefined when another request created the row meanwhile (it
 * then exists: lock it and count its orders).
 */
export async function insertStockRow(
  manager: EntityManager,
  tenantId: string,
  movement: Movement,
): Promise<AdjustedStock | undefined> {
  touchItems(manager, [movement.item_id]); // a new row shows in the item's view, with or without units
  const uow = new UnitOfWork(manager);
  const recorded = movement.on_hand !== 0;
  if (recorded) uow.add('inserted_lines', movementLinesPart([movement]));
  uow.add('inserted', {
    text: `INSERT INTO stock AS s (tenant_id, item_id, warehouse_id, on_hand, movement_seq, event_txid)
           VALUES ($1, $2, $3, $4, $5, pg_current_xact_id())
           ON CONFLICT (item_id, warehouse_id) DO NOTHING
           ${MOVED_STOCK}`,
    params: [tenantId, movement.item_id, movement.warehouse_id, movement.on_hand, recorded ? 1 : 0],
  });
  if (recorded) {
    uow.add('inserted_ledger', recordMovementsPart('inserted_lines', 'inserted'));
    uow.add('inserted_events', stockEventsPart('inserted_ledger', 'inserted', [movement]));
  }
  const [row] = await uow.flush<AdjustedStock>('inserted');
  return row && { on_hand: row.on_hand, reserved: row.reserved };
}

export interface LockedOrCreated {
  /** The live items among those of the keys (KEY SHARE held): keys of other items were left alone. */
  live: Set<string>;
  /** The rows of the keys of live items, sorted by (item_id, warehouse_id), locked; created ones with 0 units. */
  rows: LockedStock[];
  /** stockKey of the rows this statement created. */
  created: Set<string>;
}

/**
 * The stock rows of `keys` for a change that may need new ones (a count, the
 * destination of a transfer, a batch), locked in the order of every path: KEY
 * SHARE on the live items first, then every row, sorted by (item_id,
 * warehouse_id), in one statement that also creates the missing ones (0 units,
 * no movement: the trigger accepts an empty row). `ON CONFLICT … DO UPDATE …
 * WHERE false` locks an existing row (FOR NO KEY UPDATE, which excludes every
 * other change of it) without writing it; a row another transaction is inserting
 * is waited for, then locked; so new and existing rows are taken in one order and
 * two such requests queue instead of deadlocking. The rows are read by a second
 * statement: under READ COMMITTED it sees the versions the locks were granted on
 * (the first statement's snapshot may predate them). The warehouses must be the
 * tenant's (the foreign key refuses others). A caller that keeps a created row
 * unused deletes it (deleteEmptyRowsPart).
 */
export async function lockOrCreateStockRows(
  manager: EntityManager,
  tenantId: string,
  keys: StockKey[],
): Promise<LockedOrCreated> {
  if (keys.length === 0) return { live: new Set(), rows: [], created: new Set() };
  const itemIds = keys.map((k) => k.item_id);
  touchItems(manager, itemIds); // created rows show in the items' views (deleteEmptyRowsPart takes them out again)
  const warehouseIds = keys.map((k) => k.warehouse_id);
  const locked = await sql<{ item_id: string; warehouse_id: string | null }>(
    manager,
    `WITH live AS MATERIALIZED (
       SELECT id FROM item
       WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL
       ORDER BY id FOR KEY SHARE
     ), ensured AS (
       INSERT INTO stock AS s (tenant_id, item_id, warehouse_id, on_hand)
       SELECT $1, k.item_id, k.warehouse_id, 0
       FROM unnest($2::uuid[], $3::uuid[]) AS k(item_id, warehouse_id) JOIN live ON live.id = k.item_id
       ORDER BY k.item_id, k.warehouse_id
       ON CONFLICT (item_id, warehouse_id) DO UPDATE SET on_hand = s.on_hand WHERE false
       RETURNING s.item_id, s.warehouse_id
     )
     SELECT id AS item_id, NULL::uuid AS warehouse_id FROM live
     UNION ALL
     SELECT item_id, warehouse_id FROM ensured`,
    [tenantId, itemIds, warehouseIds],
  );
  const live = new Set(locked.filter((r) => r.warehouse_id === null).map((r) => r.item_id));
  const created = new Set(locked.filter((r) => r.warehouse_id !== null).map((r) => stockKey(r as StockKey)));
  const rows = await sql<LockedStock>(
    manager,
    `SELECT s.item_id, s.warehouse_id, s.on_hand, s.reserved
     FROM stock s JOIN unnest($2::uuid[], $3::uuid[]) AS k(item_id, warehouse_id)
       ON s.item_id = k.item_id AND s.warehouse_id = k.warehouse_id
     WHERE s.tenant_id = $1 AND s.item_id = ANY($4::uuid[])
     ORDER BY s.item_id, s.warehouse_id`,
    [tenantId, itemIds, warehouseIds, [...live]],
  );
  return { live, rows, created };
}

/**
 * Deletes rows lockOrCreateStockRows created that a change leaves as they were
 * made (no movement, 0 units): a part of the change's unit of work, so that a
 * line that failed leaves no trace.
 */
export function deleteEmptyRowsPart(keys: StockKey[]): SqlPart {
  return {
    text: `DELETE FROM stock s USING unnest($1::uuid[], $2::uuid[]) AS k(item_id, warehouse_id)
           WHERE s.item_id = k.item_id AND s.warehouse_id = k.warehouse_id
             AND s.movement_seq = 0 AND s.on_hand = 0 AND s.reserved = 0
           RETURNING s.item_id`,
    params: [keys.map((k) => k.item_id), keys.map((k) => k.warehouse_id)],
  };
}
