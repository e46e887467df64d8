import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { Env } from '../config/env.js';
import { type DomainError, InsufficientStockError, NotFoundError } from '../common/errors.js';
import type { RequestContext } from '../common/request-context.js';
import { sql } from '../database/sql.js';
import { allocate, type HoldLine, mergeLines, type RequestedLine, type Shortage, type StockLevel } from './allocation.js';
import { changeReserved, type LockedStock, lockStockOfItems } from './holds.js';
import { ReservationExpiryService } from './reservation-expiry.service.js';
import type { ReservationView } from './reservation-store.js';

export interface HoldRequest {
  lines: RequestedLine[];
  ttlSeconds?: number;
  reference?: string | null;
}

export interface HoldJob {
  ctx: RequestContext;
  request: HoldRequest;
}

export type HoldResult = { view: ReservationView } | { error: DomainError };

/**
 * Taking holds: the one place where stock gets reserved. It serves any number of
 * requests of one tenant in one transaction (a batch, or a single request) with
 * a fixed number of statements: lock the stock rows once, in the global order,
 * then decide each request all-or-nothing in arrival order against the locked
 * counts, then write every accepted hold, reservation, line and audit row at once.
 */
@Injectable()
export class ReservationHoldsService {
  constructor(
    private readonly audit: AuditService,
    private readonly expiry: ReservationExpiryService,
    private readonly env: Env,
  ) {}

  /** One request, on the caller's transaction (orders reserve inside their own). */
  async reserveIn(manager: EntityManager, ctx: RequestContext, request: HoldRequest): Promise<ReservationView> {
    const [result] = await this.reserveMany(manager, ctx.tenantId, [{ ctx, request }]);
    if ('error' in result!) throw result.error;
    return result!.view;
  }

  async reserveMany(manager: EntityManager, tenantId: string, jobs: HoldJob[]): Promise<HoldResult[]> {
    const results: HoldResult[] = new Array(jobs.length);
    const lines = jobs.map((job) => mergeLines(job.request.lines));
    const itemIds = [...new Set(lines.flat().map((l) => l.item_id))];
    const live = await this.lockLiveItems(manager, tenantId, itemIds);
    const priorities = await this.warehousePriorities(manager, tenantId);

    const candidates: number[] = [];
    lines.forEach((jobLines, i) => {
      const unknownItems = [...new Set(jobLines.map((l) => l.item_id).filter((id) => !live.has(id)))];
      const unknownWarehouses = [
        ...new Set(jobLines.flatMap((l) => (l.warehouse_id && !priorities.has(l.warehouse_id) ? [l.warehouse_id] : []))),
      ];
      if (unknownItems.length > 0) {
        results[i] = { error: new NotFoundError('Item', unknownItems.map((item_id) => ({ item_id }))) };
      } else if (unknownWarehouses.length > 0) {
        results[i] = { error: new NotFoundError('Warehouse', unknownWarehouses.map((warehouse_id) => ({ warehouse_id }))) };
      } else {
        candidates.push(i);
      }
    });

    const lockedItems = itemIds.filter((id) => live.has(id));
    let stock = lockedItems.length > 0 ? await lockStockOfItems(manager, tenantId, lockedItems) : [];
    let plan = decide(candidates, lines, stock, priorities);
    // Lapsed holds never block a request: free those on the rows we hold, then decide
    // again. In a savepoint: when that lets no refused request through, it is undone
    // (a refused request changes nothing) and left to the sweeper.
    if (plan.short.size > 0) {
      const firstShort = jobs[[...plan.short.keys()][0]!]!;
      const before = plan.short.size;
      try {
        await manager.transaction(async (savepoint) => {
          if (!(await this.expiry.expireOnLockedRows(savepoint, firstShort.ctx, stock))) throw NOTHING_GAINED;
          const fresh = await lockStockOfItems(savepoint, tenantId, lockedItems);
          const next = decide(candidates, lines, fresh, priorities);
          if (next.short.size === before) throw NOTHING_GAINED;
          stock = fresh;
          plan = next;
        });
      } catch (err) {
        if (err !== NOTHING_GAINED) throw err;
      }
    }
    for (const [i, shortages] of plan.short) {
      results[i] = { error: new InsufficientStockError('Not enough available stock for every line', shortages) };
    }
    if (plan.accepted.size > 0) {
      const accepted = [...plan.accepted].map(([i, holds]) => ({ i, holds, job: jobs[i]!, id: randomUUID() }));
      await changeReserved(
        manager,
        accepted.flatMap((a) => a.holds),
        1,
      );
      const views = await this.insertReservations(manager, tenantId, accepted);
      await this.audit.recordEach(
        manager,
        accepted.map((a) => ({
          tenantId,
          actor: a.job.ctx.actor,
          requestId: a.job.ctx.requestId,
          action: 'reservation.created',
          objectType: 'reservation',
          objectId: a.id,
          newValue: views.get(a.id),
        })),
      );
      for (const a of accepted) results[a.i] = { view: views.get(a.id)! };
    }
    return results;
  }

  private async insertReservations(
    manager: EntityManager,
    tenantId: string,
    accepted: { id: string; holds: HoldLine[]; job: HoldJob }[],
  ): Promise<Map<string, ReservationView>> {
    const rows = await sql<{ id: string; reference: string | null; expires_at: Date; created_at: Date; updated_at: Date }>(
      manager,
      `INSERT INTO reservation (id, tenant_id, reference, expires_at)
       SELECT r.id, $1, r.reference, now() + make_interval(secs => r.ttl)
       FROM unnest($2::uuid[], $3::text[], $4::int[]) AS r(id, reference, ttl)
       RETURNING id, reference, expires_at, created_at, updated_at`,
      [
        tenantId,
        accepted.map((a) => a.id),
        accepted.map((a) => a.job.request.reference ?? null),
        accepted.map((a) => a.job.request.ttlSeconds ?? this.env.RESERVATION_DEFAULT_TTL_SECONDS),
      ],
    );
    const lines = accepted.flatMap((a) => a.holds.map((h) => ({ ...h, reservation_id: a.id })));
    await sql(
      manager,
      `INSERT INTO reservation_line (reservation_id, tenant_id, item_id, warehouse_id, quantity)
       SELECT l.reservation_id, $1, l.item_id, l.warehouse_id, l.quantity
       FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[]) AS l(reservation_id, item_id, warehouse_id, quantity)`,
      [
        tenantId,
        lines.map((l) => l.reservation_id),
        lines.map((l) => l.item_id),
        lines.map((l) => l.warehouse_id),
        lines.map((l) => l.quantity),
      ],
    );
    const holdsById = new Map(accepted.map((a) => [a.id, a.holds]));
    return new Map(
      rows.map((row) => [
        row.id,
        {
          id: row.id,
          status: 'active',
          reference: row.reference,
          expires_at: row.expires_at.toISOString(),
          created_at: row.created_at.toISOString(),
          updated_at: row.updated_at.toISOString(),
          lines: [...holdsById.get(row.id)!].sort(
            (a, b) => compare(a.item_id, b.item_id) || compare(a.warehouse_id, b.warehouse_id),
          ),
        } satisfies ReservationView,
      ]),
    );
  }

  /** The live items among these; KEY SHARE keeps them from being deleted meanwhile. */
  private async lockLiveItems(manager: EntityManager, tenantId: string, itemIds: string[]): Promise<Set<string>> {
    if (itemIds.length === 0) return new Set();
    const found = await sql<{ id: string }>(
      manager,
      `SELECT id FROM item WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL
       ORDER BY id FOR KEY SHARE`,
      [tenantId, itemIds],
    );
    return new Set(found.map((r) => r.id));
  }

  private async warehousePriorities(manager: EntityManager, tenantId: string): Promise<Map<string, number>> {
    const rows = await sql<{ id: string; priority: number }>(
      manager,
      'SELECT id, priority FROM warehouse WHERE tenant_id = $1',
      [tenantId],
    );
    return new Map(rows.map((w) => [w.id, w.priority]));
  }
}

/** Thrown to roll a savepoint back when freeing lapsed holds helped no request. */
const NOTHING_GAINED = Symbol('nothing gained');

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Each candidate in arrival order, all-or-nothing, against what the earlier ones left. */
function decide(
  candidates: number[],
  lines: RequestedLine[][],
  stock: LockedStock[],
  priorities: Map<string, number>,
): { accepted: Map<number, HoldLine[]>; short: Map<number, Shortage[]> } {
  const remaining = new Map(stock.map((s) => [`${s.item_id}/${s.warehouse_id}`, s.on_hand - s.reserved]));
  const accepted = new Map<number, HoldLine[]>();
  const short = new Map<number, Shortage[]>();
  for (const i of candidates) {
    const levels: StockLevel[] = stock.map((s) => ({
      item_id: s.item_id,
      warehouse_id: s.warehouse_id,
      available: remaining.get(`${s.item_id}/${s.warehouse_id}`)!,
      priority: priorities.get(s.warehouse_id) ?? 0,
    }));
    const { holds, shortages } = allocate(lines[i]!, levels);
    if (shortages.length > 0) {
      short.set(i, shortages);
      continue;
    }
    for (const h of holds) {
      const k = `${h.item_id}/${h.warehouse_id}`;
      remaining.set(k, remaining.get(k)! - h.quantity);
    }
    accepted.set(i, holds);
  }
  return { accepted, short };
}
