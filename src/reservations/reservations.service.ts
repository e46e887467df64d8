import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { Env } from '../config/env.js';
import { CursorCodec } from '../common/cursor.js';
import {
  InsufficientStockError,
  InvalidTransitionError,
  NotFoundError,
  ReservationExpiredError,
} from '../common/errors.js';
import { cursorTimestamp, SqlWhere, toPage } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import type { RequestContext } from '../common/request-context.js';
import { sql } from '../database/sql.js';
import { allocate, mergeLines, type RequestedLine, type StockLevel } from './allocation.js';
import type { CreateReservationDto } from './dto/create-reservation.dto.js';
import type { ListReservationsQuery } from './dto/list-reservations.query.js';
import { changeReserved, type LockedStock, lockStockOfItems, lockStockRows, uniqueKeys } from './holds.js';
import { ReservationExpiryService } from './reservation-expiry.service.js';
import { effectiveStatusFilter } from './reservation-status.js';
import {
  findReservation,
  insertReservation,
  linesOf,
  lockReservation,
  reservationSelect,
  type ReservationRow,
  type ReservationView,
  setStatus,
  toReservationView,
} from './reservation-store.js';

const CURSOR_KIND = 'reservations';

export interface HoldRequest {
  lines: RequestedLine[];
  ttlSeconds?: number;
  reference?: string | null;
}

@Injectable()
export class ReservationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly expiry: ReservationExpiryService,
    private readonly cursors: CursorCodec,
    private readonly env: Env,
  ) {}

  create(ctx: RequestContext, dto: CreateReservationDto): Promise<ReservationView> {
    return this.dataSource.transaction((manager) =>
      this.reserveIn(manager, ctx, { lines: dto.lines, ttlSeconds: dto.ttl_seconds, reference: dto.reference }),
    );
  }

  /**
   * Holds stock for every line or for none, on the caller's transaction (orders
   * reserve inside their own). Stock rows are locked first, in the one global
   * order, then checked, then `reserved` grows by exactly what was allocated.
   */
  async reserveIn(manager: EntityManager, ctx: RequestContext, request: HoldRequest): Promise<ReservationView> {
    const lines = mergeLines(request.lines);
    const itemIds = [...new Set(lines.map((l) => l.item_id))];
    await this.lockLiveItems(manager, ctx.tenantId, itemIds);
    const priorities = await this.warehousePriorities(manager, ctx.tenantId, lines);

    let stock = await lockStockOfItems(manager, ctx.tenantId, itemIds);
    let allocation = allocate(lines, toLevels(stock, priorities));
    if (allocation.shortages.length > 0 && (await this.expiry.expireOnLockedRows(manager, ctx, stock))) {
      stock = await lockStockOfItems(manager, ctx.tenantId, itemIds);
      allocation = allocate(lines, toLevels(stock, priorities));
    }
    if (allocation.shortages.length > 0) {
      throw new InsufficientStockError('Not enough available stock for every line', allocation.shortages);
    }

    await changeReserved(manager, allocation.holds, 1);
    const ttl = request.ttlSeconds ?? this.env.RESERVATION_DEFAULT_TTL_SECONDS;
    const id = await insertReservation(manager, ctx.tenantId, ttl, request.reference ?? null, allocation.holds);
    const view = (await findReservation(manager, ctx.tenantId, id))!;
    await this.audit.record(manager, ctx, {
      action: 'reservation.created',
      objectType: 'reservation',
      objectId: id,
      newValue: view,
    });
    return view;
  }

  async get(ctx: RequestContext, id: string): Promise<ReservationView> {
    const view = await findReservation(this.dataSource.manager, ctx.tenantId, id);
    if (!view) throw new NotFoundError('Reservation');
    return view;
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(ctx: RequestContext, query: ListReservationsQuery): Promise<Page<ReservationView>> {
    const limit = query.limit ?? 20;
    const where = new SqlWhere().add('r.tenant_id = ?', ctx.tenantId);
    if (query.status !== undefined) where.add(effectiveStatusFilter('r', query.status));
    if (query.reference !== undefined) where.add('r.reference = ?', query.reference);
    if (query.cursor !== undefined) {
      const [ts, id] = this.cursors.decode(CURSOR_KIND, query.cursor, 2);
      where.add('(r.created_at, r.id) < (?::timestamptz, ?::uuid)', ts, id);
    }
    const rows = await this.dataSource.query<ReservationRow[]>(
      `${reservationSelect(`${cursorTimestamp('r.created_at')} AS cursor_ts`)}
       WHERE ${where} ORDER BY r.created_at DESC, r.id DESC LIMIT ${where.param(limit + 1)}`,
      where.params,
    );
    return toPage(rows, limit, (last) => this.cursors.encode(CURSOR_KIND, [last.cursor_ts!, last.id]), toReservationView);
  }

  /**
   * Gives the units back. Idempotent for a hold that already ended without an
   * order; a hold that lapsed but was not swept yet is expired here and then.
   */
  async release(ctx: RequestContext, id: string): Promise<ReservationView> {
    return this.dataSource.transaction(async (manager) => {
      const r = await lockReservation(manager, ctx.tenantId, id);
      if (!r) throw new NotFoundError('Reservation');
      if (r.status === 'committed') {
        throw new InvalidTransitionError('A committed reservation cannot be released', [
          { status: 'committed', allowed: [] },
        ]);
      }
      const [order] = await sql<{ id: string }>(manager, 'SELECT id FROM orders WHERE reservation_id = $1', [id]);
      if (order) {
        throw new InvalidTransitionError(`The reservation belongs to order ${order.id}: cancel the order instead`, [
          { status: r.status, order_id: order.id },
        ]);
      }
      if (r.status === 'active') {
        const lines = await linesOf(manager, [id]);
        await lockStockRows(manager, uniqueKeys(lines));
        if (r.lapsed) {
          await this.expiry.expire(manager, [r], lines, ctx.requestId);
        } else {
          await changeReserved(manager, lines, -1);
          await setStatus(manager, [id], 'released');
          await this.audit.record(manager, ctx, {
            action: 'reservation.released',
            objectType: 'reservation',
            objectId: id,
            oldValue: { status: 'active' },
            newValue: { status: 'released' },
          });
        }
      }
      return (await findReservation(manager, ctx.tenantId, id))!;
    });
  }

  /** Moves expires_at to now + ttl; only an active hold whose time has not passed can be extended. */
  async extend(ctx: RequestContext, id: string, ttlSeconds: number): Promise<ReservationView> {
    return this.dataSource.transaction(async (manager) => {
      const r = await lockReservation(manager, ctx.tenantId, id);
      if (!r) throw new NotFoundError('Reservation');
      if (r.status === 'expired' || (r.status === 'active' && r.lapsed)) throw new ReservationExpiredError();
      if (r.status !== 'active') {
        throw new InvalidTransitionError(`A ${r.status} reservation cannot be extended`, [
          { status: r.status, allowed: [] },
        ]);
      }
      const [updated] = await sql<{ expires_at: Date }>(
        manager,
        `UPDATE reservation SET expires_at = now() + make_interval(secs => $2), updated_at = now()
         WHERE id = $1 RETURNING expires_at`,
        [id, ttlSeconds],
      );
      await this.audit.record(manager, ctx, {
        action: 'reservation.extended',
        objectType: 'reservation',
        objectId: id,
        oldValue: { expires_at: r.expires_at.toISOString() },
        newValue: { expires_at: updated!.expires_at.toISOString(), ttl_seconds: ttlSeconds },
      });
      return (await findReservation(manager, ctx.tenantId, id))!;
    });
  }

  /** Every item must be a live item of the tenant; KEY SHARE keeps them from being deleted meanwhile. */
  private async lockLiveItems(manager: EntityManager, tenantId: string, itemIds: string[]): Promise<void> {
    const found = await sql<{ id: string }>(
      manager,
      `SELECT id FROM item WHERE tenant_id = $1 AND id = ANY($2::uuid[]) AND deleted_at IS NULL
       ORDER BY id FOR KEY SHARE`,
      [tenantId, itemIds],
    );
    if (found.length !== itemIds.length) {
      const known = new Set(found.map((r) => r.id));
      throw new NotFoundError('Item', itemIds.filter((id) => !known.has(id)).map((item_id) => ({ item_id })));
    }
  }

  /** The tenant's warehouse priorities; a line naming an unknown warehouse is a 404. */
  private async warehousePriorities(
    manager: EntityManager,
    tenantId: string,
    lines: RequestedLine[],
  ): Promise<Map<string, number>> {
    const rows = await sql<{ id: string; priority: number }>(
      manager,
      'SELECT id, priority FROM warehouse WHERE tenant_id = $1',
      [tenantId],
    );
    const priorities = new Map(rows.map((w) => [w.id, w.priority]));
    const unknown = [...new Set(lines.flatMap((l) => (l.warehouse_id && !priorities.has(l.warehouse_id) ? [l.warehouse_id] : [])))];
    if (unknown.length > 0) throw new NotFoundError('Warehouse', unknown.map((warehouse_id) => ({ warehouse_id })));
    return priorities;
  }
}

function toLevels(stock: LockedStock[], priorities: Map<string, number>): StockLevel[] {
  return stock.map((s) => ({
    item_id: s.item_id,
    warehouse_id: s.warehouse_id,
    available: s.on_hand - s.reserved,
    priority: priorities.get(s.warehouse_id) ?? 0,
  }));
}
