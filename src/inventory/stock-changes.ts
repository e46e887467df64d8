import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { InsufficientStockError, ItemInUseError, NotFoundError, QuantityOutOfRangeError } from '../common/errors.js';
import { isPgError, PgCode } from '../common/pg-errors.js';
import type { RequestContext } from '../common/request-context.js';
import { outstandingUnits } from '../orders/outstanding-units.js';
import type { LockedStock } from './stock.repository.js';
import { ReservationExpiryService } from '../reservations/reservation-expiry.service.js';
import { WarehousesService } from '../warehouses/warehouses.service.js';
import { findItemView, itemIsLive } from './item.repository.js';
import { retryAfterFreeingLapsedHolds } from './lapsed-holds.js';
import { MAX_QUANTITY } from './quantities.js';
import {
  type AdjustedStock,
  insertStockRow,
  lockItemStock,
  lockStockRow,
  moveLockedRow,
  removeStock,
} from './stock.repository.js';
import type { Movement, MovementNote } from '../ledger/movement.js';

/** What an adjustment's movement says besides the numbers (who and which request come from the context). */
export type StockNote = Pick<MovementNote, 'type' | 'reason' | 'reference'>;

const movementOf = (
  ctx: RequestContext,
  itemId: string,
  warehouseId: string,
  delta: number,
  note: StockNote,
): Movement => ({
  item_id: itemId,
  warehouse_id: warehouseId,
  on_hand: delta,
  reserved: 0,
  actor: ctx.actor,
  request_id: ctx.requestId,
  ...note,
});

/**
 * The rules an item's stock changes by, on the caller's transaction: removing
 * units (lapsed holds never block it), adding units (room is kept for the units
 * out on orders, whose cancel puts them back), and whether the item may go.
 */
@Injectable()
export class StockChanges {
  constructor(
    private readonly expiry: ReservationExpiryService,
    private readonly warehouses: WarehousesService,
  ) {}

  /**
   * Throws item_in_use while units of the item are held or out on confirmed or
   * processing orders. Its stock rows are locked here (after the item: the order
   * of every path), so that no confirm or cancel is in flight on them while the
   * orders are counted, in the statement after. Lapsed holds do not count: they
   * are freed, unless that leaves the item in use anyway.
   */
  async assertDeletable(manager: EntityManager, ctx: RequestContext, id: string): Promise<void> {
    const stock = await lockItemStock(manager, id);
    const outstanding = sum((await outstandingUnits(manager, ctx.tenantId, id)).values());
    const reservedOf = (rows: LockedStock[]) => sum(rows.map((s) => s.reserved));
    if (outstanding === 0 && reservedOf(stock) === 0) return;
    if (outstanding === 0) {
      const freed = await retryAfterFreeingLapsedHolds(manager, ctx, this.expiry, stock, async () =>
        reservedOf(await lockItemStock(manager, id)) === 0 ? true : undefined,
      );
      if (freed) return;
    }
    const reserved = (await findItemView(manager, ctx.tenantId, id))?.reserved ?? 0;
    throw new ItemInUseError(
      outstanding > 0
        ? 'Item has units out on confirmed or processing orders (a cancel puts them back) and cannot be deleted'
        : undefined,
      [{ reserved, outstanding }],
    );
  }

  /**
   * Units off a row: one guarded UPDATE. When it refuses, the row is locked and
   * judged again: the guard skips a row another transaction is changing (it read
   * the version before), and lapsed holds on the row may be what is short: they
   * are freed and the UPDATE tried once more.
   */
  async remove(
    manager: EntityManager,
    ctx: RequestContext,
    itemId: string,
    warehouseId: string,
    delta: number,
    note: StockNote,
  ): Promise<AdjustedStock> {
    const movement = movementOf(ctx, itemId, warehouseId, delta, note);
    const take = () => removeStock(manager, ctx.tenantId, movement);
    const removed = await take();
    if (removed) return removed;
    await this.assertTargetsExist(manager, ctx.tenantId, itemId, warehouseId); // 404s first
    // The item, then the row: a refused guard may never have read (nor locked) the item,
    // and the UPDATE below takes its KEY SHARE; taken after the row, that would wait on
    // a delete that waits for the row.
    const row = (await lockStockRow(manager, ctx.tenantId, itemId, warehouseId))?.row;
    const taken = row && row.on_hand - row.reserved + delta >= 0 ? await take() : undefined;
    const locked = row ? [row] : [];
    const retried = taken ?? (await retryAfterFreeingLapsedHolds(manager, ctx, this.expiry, locked, take));
    if (!retried) throw new InsufficientStockError();
    return retried;
  }

  /**
   * Units onto a row, keeping room for the units out on confirmed or processing
   * orders of that row: their cancel puts them back, and it must always fit in
   * the integer column. The row is locked first and its orders counted after, in
   * a statement of their own (see outstandingUnits).
   */
  async add(
    manager: EntityManager,
    ctx: RequestContext,
    itemId: string,
    warehouseId: string,
    delta: number,
    note: StockNote,
  ): Promise<AdjustedStock> {
    const movement = movementOf(ctx, itemId, warehouseId, delta, note);
    // Twice at most: the second time, the row another request created meanwhile exists.
    for (let attempt = 0; attempt < 2; attempt++) {
      const locked = await lockStockRow(manager, ctx.tenantId, itemId, warehouseId);
      if (!locked) throw new NotFoundError('Item');
      const { row } = locked;
      if (row) {
        const units = await outstandingUnits(manager, ctx.tenantId, row.item_id, row.warehouse_id);
        const outstanding = units.get(row.warehouse_id) ?? 0;
        if (row.on_hand + delta + outstanding > MAX_QUANTITY) throw quantityOutOfRange(row, delta, outstanding);
        return moveLockedRow(manager, movement);
      }
      try {
        const created = await insertStockRow(manager, ctx.tenantId, movement);
        if (created) return created;
      } catch (err) {
        if (isPgError(err, PgCode.foreignKeyViolation, 'stock_warehouse_fk')) throw new NotFoundError('Warehouse');
        throw err;
      }
    }
    throw new Error(`stock row ${itemId}/${warehouseId} neither found nor created`);
  }

  /** 404s, item first: an adjustment that changed nothing says why. */
  async assertTargetsExist(manager: EntityManager, tenantId: string, itemId: string, warehouseId: string) {
    if (!(await itemIsLive(manager, tenantId, itemId))) throw new NotFoundError('Item');
    if (!(await this.warehouses.existing(manager, tenantId, [warehouseId])).has(warehouseId)) {
      throw new NotFoundError('Warehouse');
    }
  }
}

const sum = (values: Iterable<number>): number => [...values].reduce((a, b) => a + b, 0);

/** The limit, and what keeps an adjustment under it, for a client to act on. */
function quantityOutOfRange(row: LockedStock, delta: number, outstanding: number): QuantityOutOfRangeError {
  const details = [{ warehouse_id: row.warehouse_id, on_hand: row.on_hand, delta, outstanding, max: MAX_QUANTITY }];
  const counting = outstanding > 0 ? `, counting the ${outstanding} units out on confirmed or processing orders` : '';
  return new QuantityOutOfRangeError(MAX_QUANTITY, details, `qty cannot exceed ${MAX_QUANTITY}${counting}`);
}
