import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { type AuditEntry, AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/request-context.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { retryAfterFreeingLapsedHolds } from '../inventory/lapsed-holds.js';
import {
  deleteEmptyRowsPart,
  lockOrCreateStockRows,
  moveStock,
  stockKey,
  type StockKey,
  uniqueKeys,
} from '../inventory/stock.repository.js';
import type { Movement } from '../ledger/movement.js';
import { outstandingUnitsOn } from '../orders/outstanding-units.js';
import { ReservationExpiryService } from '../reservations/reservation-expiry.service.js';
import { WarehousesService } from '../warehouses/warehouses.service.js';
import {
  type FailedLine,
  improves,
  type Plan,
  type PlanLine,
  planStock,
  type RowState,
  rowsShortOfReserved,
  withFreed,
} from './stock-plan.js';

/** A line with where it came from in the request, for a 404 that names the field (`lines.3.warehouse_id`). */
export interface AddressedLine extends PlanLine {
  /** The request fields naming the item and the warehouse: `lines.3.item_id`, `from_warehouse_id`. */
  fields: { item: string; warehouse: string };
}

/** A plan on locked rows, and what its write needs to know. */
export interface LockedPlan extends Plan {
  /** The rows the lock statement created: those no applied line moves are deleted again. */
  created: Set<string>;
}

/**
 * The one way counts, transfers and batches change stock: the request's rows
 * are locked once, in the global order, in one statement (creating missing
 * ones), then every line is decided in memory (stock-plan.ts), lapsed holds are
 * freed where they are what is short, and the result is written in one unit of
 * work: every movement (one UPDATE per row, one ledger row per movement), the
 * audit rows, and the deletion of rows created for lines that failed.
 */
@Injectable()
export class StockBatch {
  constructor(
    private readonly warehouses: WarehousesService,
    private readonly expiry: ReservationExpiryService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Lines naming a warehouse the tenant does not have, as failures. The one place
   * where a request's references are checked before its rows are locked (items
   * are checked by the lock itself, which sees only live ones): resolving SKUs
   * and warehouse codes to ids belongs here too.
   */
  async unknownWarehouses(manager: EntityManager, tenantId: string, lines: AddressedLine[]): Promise<FailedLine[]> {
    const ids = [...new Set(lines.map((l) => l.warehouse_id))];
    const known = await this.warehouses.existing(manager, tenantId, ids);
    return lines
      .filter((l) => !known.has(l.warehouse_id))
      .map((l) => notFound(l, l.fields.warehouse, `unknown warehouse_id ${l.warehouse_id}`));
  }

  /**
   * Locks the rows of `lines` (whose warehouses exist) and decides every line.
   * Lines of items that are not live (unknown, deleted) fail as not_found.
   */
  async lockAndPlan(manager: EntityManager, ctx: RequestContext, lines: AddressedLine[]): Promise<LockedPlan> {
    const locked = await lockOrCreateStockRows(manager, ctx.tenantId, uniqueKeys(lines));
    const gone = lines
      .filter((l) => !locked.live.has(l.item_id))
      .map((l) => notFound(l, l.fields.item, `unknown item_id ${l.item_id}`));
    const live = lines.filter((l) => locked.live.has(l.item_id));
    const growing = uniqueKeys(live.filter((l) => (l.op.kind === 'delta' ? l.op.delta > 0 : true)));
    const outstanding = await outstandingUnitsOn(manager, ctx.tenantId, growing);
    const rows = new Map<string, RowState>(
      locked.rows.map((r) => [
        stockKey(r),
        { on_hand: r.on_hand, reserved: r.reserved, outstanding: outstanding.get(stockKey(r)) ?? 0 },
      ]),
    );
    let plan = planStock(rows, live);
    const short = new Set(rowsShortOfReserved(plan, rows).map(stockKey));
    if (short.size > 0) {
      const freedPlan = await retryAfterFreeingLapsedHolds(
        manager,
        ctx,
        this.expiry,
        locked.rows.filter((r) => short.has(stockKey(r))),
        async (freed) => {
          const next = planStock(withFreed(rows, freed), live);
          return improves(next, plan) ? next : undefined;
        },
      );
      plan = freedPlan ?? plan;
    }
    const failed = [...gone, ...plan.failed].sort((a, b) => a.index - b.index);
    const outcomes = [...gone, ...plan.outcomes].sort((a, b) => a.index - b.index);
    return { outcomes, applied: plan.applied, failed, created: locked.created };
  }

  /** Writes the applied lines of a plan, with `audit` rows, in one statement. */
  async write(
    manager: EntityManager,
    ctx: RequestContext,
    plan: LockedPlan,
    reference: string | null,
    audit: AuditEntry[],
  ): Promise<void> {
    const movements: Movement[] = plan.applied
      .filter((a) => a.delta !== 0)
      .map((a) => ({
        item_id: a.item_id,
        warehouse_id: a.warehouse_id,
        on_hand: a.delta,
        reserved: 0,
        type: a.type,
        reference,
        reason: a.reason ?? null,
        actor: ctx.actor,
        request_id: ctx.requestId,
      }));
    const uow = new UnitOfWork(manager);
    if (movements.length > 0) moveStock(uow, 'stock_moved', movements);
    const moved = new Set(movements.map(stockKey));
    const unused: StockKey[] = uniqueKeys(plan.outcomes).filter(
      (k) => plan.created.has(stockKey(k)) && !moved.has(stockKey(k)),
    );
    if (unused.length > 0) uow.add('unused_stock_rows', deleteEmptyRowsPart(unused));
    this.audit.add(uow, AuditService.of(ctx, audit));
    await uow.flush();
  }
}

function notFound(line: AddressedLine, field: string, message: string): FailedLine {
  return {
    index: line.index,
    item_id: line.item_id,
    warehouse_id: line.warehouse_id,
    status: 'failed',
    failure: { error: 'not_found', field, message },
  };
}
