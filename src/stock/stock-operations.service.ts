import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AuditEntry } from '../audit/audit.service.js';
import { UnknownReferencesError, ValidationFailedError } from '../common/errors.js';
import type { RequestContext } from '../common/request-context.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { type IndexedUnknown, type LineRefs, lookUpLines } from '../inventory/line-refs.js';
import { lineShapeProblems, opOf } from './adjustment-lines.js';
import type { AdjustStockDto, BatchMode } from './dto/adjust-stock.dto.js';
import type { CountStockDto } from './dto/count-stock.dto.js';
import type { StockBatchResponse, TransferResponse } from './dto/stock-operation.response.js';
import type { TransferStockDto } from './dto/transfer-stock.dto.js';
import { type AddressedLine, StockBatch } from './stock-batch.js';
import { lineResult, refusal } from './stock-outcomes.js';
import type { AppliedLine, FailedLine } from './stock-plan.js';

const sameWarehouse = (field: string) =>
  new ValidationFailedError([{ field, message: 'the units must move to another warehouse than they leave' }]);

/** The request fields a line names its item and warehouse by: `lines.3.sku`, `lines.3.warehouse_id`. */
const fieldsOf = (index: number, line: LineRefs) => ({
  item: `lines.${index}.${line.sku !== undefined ? 'sku' : 'item_id'}`,
  warehouse: `lines.${index}.${line.warehouse_code !== undefined ? 'warehouse_code' : 'warehouse_id'}`,
});

/**
 * Counts, transfers and batches of adjustments: each maps its request to lines,
 * resolves what they name (first thing in the transaction: SKUs and warehouse
 * codes into ids, then unknown warehouses), and lets StockBatch lock, decide and
 * write them; here is what each answers.
 */
@Injectable()
export class StockOperationsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly batch: StockBatch,
  ) {}

  /** Sets on_hand to the counted values, all lines or none; a `counted` movement for each difference. */
  count(ctx: RequestContext, dto: CountStockDto): Promise<StockBatchResponse> {
    return this.tx.run(async (manager) => {
      const { lines, unknown } = await this.addressed(manager, ctx, dto.lines, (l) => ({
        op: {
          kind: 'count',
          on_hand: l.on_hand,
          ...(l.expected_on_hand !== undefined ? { expected_on_hand: l.expected_on_hand } : {}),
        },
        reason: dto.reason ?? null,
      }));
      return this.apply(manager, ctx, lines, unknown, dto.reference ?? null, 'all_or_nothing');
    });
  }

  /** Deltas, counts and write-offs, all or nothing unless `per_line`. */
  adjust(ctx: RequestContext, dto: AdjustStockDto): Promise<StockBatchResponse> {
    const problems = lineShapeProblems(dto.lines);
    if (problems.length > 0) throw new ValidationFailedError(problems);
    const mode = dto.mode ?? 'all_or_nothing';
    return this.tx.run(async (manager) => {
      const { lines, unknown } = await this.addressed(manager, ctx, dto.lines, (l) => ({
        op: opOf(l),
        reason: l.reason ?? dto.reason ?? null,
      }));
      return this.apply(manager, ctx, lines, unknown, dto.reference ?? null, mode);
    });
  }

  /**
   * Moves available units from one warehouse to another at once (no stock in
   * transit): both rows in one transaction, locked in the global order, two
   * movements under one reference.
   */
  transfer(ctx: RequestContext, dto: TransferStockDto): Promise<TransferResponse> {
    const sameById = dto.from_warehouse_id !== undefined && dto.from_warehouse_id === dto.to_warehouse_id;
    const sameByCode = dto.from_warehouse_code !== undefined && dto.from_warehouse_code === dto.to_warehouse_code;
    if (sameById || sameByCode) throw sameWarehouse(sameById ? 'to_warehouse_id' : 'to_warehouse_code');
    const reference = dto.reference ?? `transfer:${randomUUID()}`;
    const reason = dto.reason ?? null;
    const side = (index: number, warehouseId: string, field: string, delta: number, itemId: string): AddressedLine => ({
      index,
      item_id: itemId,
      warehouse_id: warehouseId,
      op: { kind: 'delta', delta, type: delta < 0 ? 'transferred_out' : 'transferred_in' },
      reason,
      fields: { item: dto.sku !== undefined ? 'sku' : 'item_id', warehouse: field },
    });
    return this.tx.run(async (manager) => {
      // The two sides as lines, so that SKU and codes resolve in one query each; 404s name the request's fields.
      const refs = [
        {
          item_id: dto.item_id,
          sku: dto.sku,
          warehouse_id: dto.from_warehouse_id,
          warehouse_code: dto.from_warehouse_code,
        },
        {
          item_id: dto.item_id,
          sku: dto.sku,
          warehouse_id: dto.to_warehouse_id,
          warehouse_code: dto.to_warehouse_code,
        },
      ];
      const found = await lookUpLines(manager, ctx.tenantId, refs);
      if (found.unknown.length > 0) {
        const fieldOf = (u: IndexedUnknown) =>
          u.unknown.sku !== undefined ? 'sku' : `${u.index === 0 ? 'from' : 'to'}_warehouse_code`;
        const unknown = found.unknown.map((u) => ({ ...u.unknown, field: fieldOf(u) }));
        throw new UnknownReferencesError(unknown.filter((u, i) => unknown.findIndex((v) => v.field === u.field) === i));
      }
      const [from, to] = found.resolved as [{ item_id: string; warehouse_id: string }, { warehouse_id: string }];
      if (from.warehouse_id === to.warehouse_id) throw sameWarehouse('to_warehouse_code');
      const itemId = from.item_id;
      const lines = [
        side(
          0,
          from.warehouse_id,
          dto.from_warehouse_code !== undefined ? 'from_warehouse_code' : 'from_warehouse_id',
          -dto.quantity,
          itemId,
        ),
        side(
          1,
          to.warehouse_id,
          dto.to_warehouse_code !== undefined ? 'to_warehouse_code' : 'to_warehouse_id',
          dto.quantity,
          itemId,
        ),
      ];
      const unknown = await this.batch.unknownWarehouses(manager, ctx.tenantId, lines);
      if (unknown.length > 0) throw refusal(unknown, { withIndex: false });
      const plan = await this.batch.lockAndPlan(manager, ctx, lines);
      if (plan.failed.length > 0) throw refusal(plan.failed, { withIndex: false });
      const [out, into] = plan.applied as [AppliedLine, AppliedLine];
      const row = (l: AppliedLine, at: 'before' | 'after') => ({
        warehouse_id: l.warehouse_id,
        on_hand: l[at].on_hand,
        reserved: l[at].reserved,
      });
      await this.batch.write(manager, ctx, plan, reference, [
        {
          action: 'stock.transferred',
          objectType: 'item',
          objectId: itemId,
          oldValue: { from: row(out, 'before'), to: row(into, 'before') },
          newValue: { from: row(out, 'after'), to: row(into, 'after'), quantity: dto.quantity, reference, reason },
        },
      ]);
      const view = (l: AppliedLine) => ({ ...row(l, 'after'), available: l.after.on_hand - l.after.reserved });
      return { reference, item_id: itemId, quantity: dto.quantity, from: view(out), to: view(into) };
    });
  }

  /**
   * A request's lines with ids: SKUs and warehouse codes looked up in one query
   * each. Lines naming an unknown one fail as not_found (the others may still
   * apply, per line).
   */
  private async addressed<L extends LineRefs>(
    manager: EntityManager,
    ctx: RequestContext,
    dtoLines: L[],
    what: (line: L) => Pick<AddressedLine, 'op' | 'reason'>,
  ): Promise<{ lines: AddressedLine[]; unknown: FailedLine[] }> {
    const found = await lookUpLines(manager, ctx.tenantId, dtoLines);
    const unknownAt = new Map(found.unknown.map((u) => [u.index, u.unknown]));
    const lines: AddressedLine[] = [];
    const unknown: FailedLine[] = [];
    dtoLines.forEach((l, index) => {
      const resolved = found.resolved[index]!;
      const line = {
        index,
        item_id: resolved.item_id,
        warehouse_id: resolved.warehouse_id ?? '',
        fields: fieldsOf(index, l),
        ...what(l),
      };
      const ref = unknownAt.get(index);
      if (ref) {
        unknown.push({
          index,
          item_id: line.item_id,
          warehouse_id: line.warehouse_id,
          status: 'failed',
          failure: { error: 'not_found', field: ref.field, message: ref.message },
        });
      } else lines.push(line);
    });
    return { lines, unknown };
  }

  private async apply(
    manager: EntityManager,
    ctx: RequestContext,
    addressed: AddressedLine[],
    unknownRefs: FailedLine[],
    reference: string | null,
    mode: BatchMode,
  ): Promise<StockBatchResponse> {
    const unknownWarehouses = await this.batch.unknownWarehouses(manager, ctx.tenantId, addressed);
    const unknown = [...unknownRefs, ...unknownWarehouses].sort((a, b) => a.index - b.index);
    const lines = addressed;
    if (unknown.length > 0 && mode === 'all_or_nothing') throw refusal(unknown);
    const left = new Set(unknown.map((l) => l.index));
    const plan = await this.batch.lockAndPlan(
      manager,
      ctx,
      lines.filter((l) => !left.has(l.index)),
    );
    const failed = [...unknown, ...plan.failed].sort((a, b) => a.index - b.index);
    if (failed.length > 0 && mode === 'all_or_nothing') throw refusal(failed);
    const audit = plan.applied.filter((a) => a.delta !== 0 || a.type === 'counted').map((a) => auditOf(a, reference));
    await this.batch.write(manager, ctx, plan, reference, audit);
    const outcomes = [...unknown, ...plan.outcomes].sort((a, b) => a.index - b.index);
    return {
      reference,
      mode,
      applied: plan.applied.length,
      failed: failed.length,
      lines: outcomes.map(lineResult) as unknown as StockBatchResponse['lines'],
    };
  }
}

/** A line's audit row: as PATCH …/qty writes them (the row before and after), with the line's index. */
function auditOf(a: AppliedLine, reference: string | null): AuditEntry {
  return {
    action: a.type === 'counted' ? 'stock.counted' : 'stock.adjusted',
    objectType: 'item',
    objectId: a.item_id,
    oldValue: { warehouse_id: a.warehouse_id, on_hand: a.before.on_hand, reserved: a.before.reserved },
    newValue: {
      warehouse_id: a.warehouse_id,
      on_hand: a.after.on_hand,
      reserved: a.after.reserved,
      delta: a.delta,
      type: a.type,
      reason: a.reason ?? null,
      reference,
      line: a.index,
    },
  };
}
