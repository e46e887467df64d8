import type { EntityManager } from 'typeorm';
import { sql } from '../database/sql.js';
import { Stock } from '../inventory/entities/stock.entity.js';
import type { HoldLine } from './allocation.js';

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
 * The only path that takes a reservation lock while holding stock locks (a
 * reservation freeing expired holds) does so with SKIP LOCKED, so it never waits.
 */

/** Locks every stock row of these items (pessimistic_write, sorted) and returns them. */
export async function lockStockOfItems(manager: EntityManager, tenantId: string, itemIds: string[]): Promise<LockedStock[]> {
  const rows = await manager
    .createQueryBuilder(Stock, 's')
    .setLock('pessimistic_write')
    .where('s.tenantId = :tenantId', { tenantId })
    .andWhere('s.itemId IN (:...itemIds)', { itemIds })
    .orderBy('s.itemId')
    .addOrderBy('s.warehouseId')
    .getMany();
  return rows.map((s) => ({ item_id: s.itemId, warehouse_id: s.warehouseId, on_hand: s.onHand, reserved: s.reserved }));
}

/**
 * Locks the given stock rows, sorted. With `skipLocked`, rows another
 * transaction holds are left out instead of waited for.
 */
export async function lockStockRows(
  manager: EntityManager,
  keys: StockKey[],
  options: { skipLocked?: boolean } = {},
): Promise<LockedStock[]> {
  if (keys.length === 0) return [];
  return sql<LockedStock>(
    manager,
    `SELECT s.item_id, s.warehouse_id, s.on_hand, s.reserved
     FROM stock s
     JOIN unnest($1::uuid[], $2::uuid[]) AS k(item_id, warehouse_id)
       ON s.item_id = k.item_id AND s.warehouse_id = k.warehouse_id
     ORDER BY s.item_id, s.warehouse_id
     FOR UPDATE OF s${options.skipLocked ? ' SKIP LOCKED' : ''}`,
    [keys.map((k) => k.item_id), keys.map((k) => k.warehouse_id)],
  );
}

export interface MovedStock {
  item_id: string;
  warehouse_id: string;
  /** Units this statement moved on the row (holds for the same row added up). */
  quantity: number;
  on_hand: number;
  reserved: number;
}

/**
 * Moves units on locked stock rows in one statement: on_hand and reserved each
 * change by sign * quantity (sign -1, 0 or 1). The CHECK constraints
 * (0 <= reserved <= on_hand) refuse anything that would oversell or lose units,
 * even if a caller's arithmetic were wrong. Returns the rows as they are after.
 */
export async function moveStock(
  manager: EntityManager,
  holds: HoldLine[],
  signs: { onHand: -1 | 0 | 1; reserved: -1 | 0 | 1 },
): Promise<MovedStock[]> {
  if (holds.length === 0) return [];
  return sql<MovedStock>(
    manager,
    `UPDATE stock s
     SET on_hand = s.on_hand + $4::int * v.quantity, reserved = s.reserved + $5::int * v.quantity, updated_at = now()
     FROM (SELECT item_id, warehouse_id, sum(quantity)::int AS quantity
           FROM unnest($1::uuid[], $2::uuid[], $3::int[]) AS h(item_id, warehouse_id, quantity)
           GROUP BY item_id, warehouse_id) v
     WHERE s.item_id = v.item_id AND s.warehouse_id = v.warehouse_id
     RETURNING s.item_id, s.warehouse_id, v.quantity, s.on_hand, s.reserved`,
    [
      holds.map((h) => h.item_id),
      holds.map((h) => h.warehouse_id),
      holds.map((h) => h.quantity),
      signs.onHand,
      signs.reserved,
    ],
  );
}

/** reserved += quantity (direction 1) or -= quantity (direction -1). */
export async function changeReserved(manager: EntityManager, holds: HoldLine[], direction: 1 | -1): Promise<void> {
  await moveStock(manager, holds, { onHand: 0, reserved: direction });
}

export function uniqueKeys(lines: StockKey[]): StockKey[] {
  const seen = new Map(lines.map((l) => [`${l.item_id}/${l.warehouse_id}`, { item_id: l.item_id, warehouse_id: l.warehouse_id }]));
  return [...seen.values()];
}
