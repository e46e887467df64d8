import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { AuditEntry } from '../audit/audit.service.js';
import { ValidationFailedError } from '../common/errors.js';
import type { RequestContext } from '../common/request-context.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { lineShapeProblems, opOf } from './adjustment-lines.js';
import type { AdjustStockDto, BatchMode } from './dto/adjust-stock.dto.js';
import type { CountStockDto } from './dto/count-stock.dto.js';
import type { StockBatchResponse, TransferResponse } from './dto/stock-operation.response.js';
import type { TransferStockDto } from './dto/transfer-stock.dto.js';
import { type AddressedLine, StockBatch } from './stock-batch.js';
import { lineResult, refusal } from './stock-outcomes.js';
import type { AppliedLine } from './stock-plan.js';

const fieldsOf = (index: number) => ({ item: `lines.${index}.item_id`, warehouse: `lines.${index}.warehouse_id` });

/**
 * Counts, transfers and batches of adjustments: each maps its request to lines,
 * resolves what they name (first thing in the transaction, in StockBatch), and
 * lets StockBatch lock, decide and write them; here is what each answers.
 */
@Injectable()
export class StockOperationsService {
  constructor(
    private readonly tx: TransactionRunner,
    private readonly batch: StockBatch,
  ) {}

  /** Sets on_hand to the counted values, all lines or none; a `counted` movement for each difference. */
  count(ctx: RequestContext, dto: CountStockDto): Promise<StockBatchResponse> {
    const lines: AddressedLine[] = dto.lines.map((l, index) => ({
      index,
      item_id: l.item_id,
      warehouse_id: l.warehouse_id,
      op: {
        kind: 'count',
        on_hand: l.on_hand,
        ...(l.expected_on_hand !== undefined ? { expected_on_hand: l.expected_on_hand } : {}),
      },
      reason: dto.reason ?? null,
      fields: fieldsOf(index),
    }));
    return this.tx.run((manager) => this.apply(manager, ctx, lines, dto.reference ?? null, 'all_or_nothing'));
  }

  /** Deltas, counts and write-offs, all or nothing unless `per_line`. */
  adjust(ctx: RequestContext, dto: AdjustStockDto): Promise<StockBatchResponse> {
    const problems = lineShapeProblems(dto.lines);
    if (problems.length > 0) throw new ValidationFailedError(problems);
    const lines: AddressedLine[] = dto.lines.map((l, index) => ({
      index,
      item_id: l.item_id,
      warehouse_id: l.warehouse_id,
      op: opOf(l),
      reason: l.reason ?? dto.reason ?? null,
      fields: fieldsOf(index),
    }));
    const mode = dto.mode ?? 'all_or_nothing';
    return this.tx.run((manager) => this.apply(manager, ctx, lines, dto.reference ?? null, mode));
  }

  /**
   * Moves available units from one warehouse to another at once (no stock in
   * transit): both rows in one transaction, locked in the global order, two
   * movements under one reference.
   */
  transfer(ctx: RequestContext, dto: TransferStockDto): Promise<TransferResponse> {
    if (dto.from_warehouse_id === dto.to_warehouse_id) {
      throw new ValidationFailedError([
        { field: 'to_warehouse_id', message: 'to_warehouse_id must be another warehouse than from_warehouse_id' },
      ]);
    }
    const reference = dto.reference ?? `transfer:${randomUUID()}`;
    const reason = dto.reason ?? null;
    const side = (index: number, warehouseId: string, field: string, delta: number): AddressedLine => ({
      index,
      item_id: dto.item_id,
      warehouse_id: warehouseId,
      op: { kind: 'delta', delta, type: delta < 0 ? 'transferred_out' : 'transferred_in' },
      reason,
      fields: { item: 'item_id', warehouse: field },
    });
    const lines = [
      side(0, dto.from_warehouse_id, 'from_warehouse_id', -dto.quantity),
      side(1, dto.to_warehouse_id, 'to_warehouse_id', dto.quantity),
    ];
    return this.tx.run(async (manager) => {
      const unknown = await this.batch.unknownWarehouses(manager, ctx.tenantId, lines);
      if (unknown.length > 0) throw refusal(unknown, { withIndex: false });
      const plan = await this.batch.lockAndPlan(manager, ctx, lines);
      if (plan.failed.length > 0) throw refusal(plan.failed, { withIndex: false });
      const [from, to] = plan.applied as [AppliedLine, AppliedLine];
      const row = (l: AppliedLine, at: 'before' | 'after') => ({
        warehouse_id: l.warehouse_id,
        on_hand: l[at].on_hand,
        reserved: l[at].reserved,
      });
      await this.batch.write(manager, ctx, plan, reference, [
        {
          action: 'stock.transferred',
          objectType: 'item',
          objectId: dto.item_id,
          oldValue: { from: row(from, 'before'), to: row(to, 'before') },
          newValue: { from: row(from, 'after'), to: row(to, 'after'), quantity: dto.quantity, reference, reason },
        },
      ]);
      const view = (l: AppliedLine) => ({ ...row(l, 'after'), available: l.after.on_hand - l.after.reserved });
      return { reference, item_id: dto.item_id, quantity: dto.quantity, from: view(from), to: view(to) };
    });
  }

  private async apply(
    manager: EntityManager,
    ctx: RequestContext,
    lines: AddressedLine[],
    reference: string | null,
    mode: BatchMode,
  ): Promise<StockBatchResponse> {
    const unknown = await this.batch.unknownWarehouses(manager, ctx.tenantId, lines);
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
