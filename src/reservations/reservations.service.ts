import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { CursorCodec } from '../common/cursor.js';
import { InvalidTransitionError, NotFoundError, ReservationExpiredError } from '../common/errors.js';
import { cursorTimestamp, SqlWhere, toPage } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import type { RequestContext } from '../common/request-context.js';
import { sql } from '../database/sql.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { CreateReservationDto } from './dto/create-reservation.dto.js';
import type { ListReservationsQuery } from './dto/list-reservations.query.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { HoldOwners } from './hold-owners.js';
import { resolveLines } from '../inventory/line-refs.js';
import { lockStockRows, moveStock, uniqueKeys } from '../inventory/stock.repository.js';
import { movementsOf } from '../ledger/movement.js';
import { ReservationBatcher } from './reservation-batcher.js';
import { ReservationExpiryService } from './reservation-expiry.service.js';
import { type HoldRequest, ReservationHoldsService } from './reservation-holds.service.js';
import { GroupedKey } from '../idempotency/grouped-key.js';
import { IdempotencyService } from '../idempotency/idempotency.service.js';
import { effectiveStatusFilter } from './reservation-status.js';
import {
  findReservation,
  linesOf,
  lockReservation,
  reservationSelect,
  type ReservationRow,
  type ReservationView,
  setStatusPart,
  toReservationView,
} from './reservation.repository.js';

const CURSOR_KIND = 'reservations';

@Injectable()
export class ReservationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly expiry: ReservationExpiryService,
    private readonly cursors: CursorCodec,
    private readonly holds: ReservationHoldsService,
    private readonly batcher: ReservationBatcher,
    private readonly owners: HoldOwners,
    private readonly idempotency: IdempotencyService,
  ) {}

  /**
   * Batched with concurrent requests of the tenant (group commit), an
   * Idempotency-Key with them: the batch's transaction claims the key, holds
   * the stock and stores the response. Only when the request runs in a
   * transaction of its own already (a key on another route calling this) is it
   * decided there, alone. Answers the view, or a replayed response's body.
   */
  async create(ctx: RequestContext, dto: CreateReservationDto): Promise<unknown> {
    const key = GroupedKey.take();
    // SKUs and warehouse codes become ids first (no query when the lines give ids), so the holds are taken as ever.
    const request = async (manager: EntityManager) => ({
      lines: await resolveLines(manager, ctx.tenantId, dto.lines),
      ttlSeconds: dto.ttl_seconds,
      reference: dto.reference,
    });
    const inOwnTransaction = () =>
      this.tx.run(async (manager) => this.holds.reserveIn(manager, ctx, await request(manager)));
    if (TransactionRunner.inTransaction()) return inOwnTransaction();
    let resolved: HoldRequest;
    try {
      resolved = await request(this.dataSource.manager);
    } catch (err) {
      // Looked up outside the key's claim: a retry whose SKU is gone by now must still replay. Claim first, alone.
      if (key) return this.idempotency.alone(key, inOwnTransaction);
      throw err;
    }
    const outcome = await this.batcher.submit(ctx, resolved, key?.scope);
    return 'replay' in outcome ? key!.replayed(outcome.replay) : outcome.view;
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
    return toPage(
      rows,
      limit,
      (last) => this.cursors.encode(CURSOR_KIND, [last.cursor_ts!, last.id]),
      toReservationView,
    );
  }

  /**
   * Gives the units back. Idempotent for a hold that already ended without an
   * order; a hold that lapsed but was not swept yet is expired here and then.
   */
  async release(ctx: RequestContext, id: string): Promise<ReservationView> {
    return this.tx.run(async (manager) => {
      const r = await lockReservation(manager, ctx.tenantId, id);
      if (!r) throw new NotFoundError('Reservation');
      if (r.status === 'committed') {
        throw new InvalidTransitionError('A committed reservation cannot be released', [
          { status: 'committed', allowed: [] },
        ]);
      }
      const orderId = await this.owners.ownerOf(manager, id);
      if (orderId) {
        throw new InvalidTransitionError(`The reservation belongs to order ${orderId}: cancel the order instead`, [
          { status: r.status, order_id: orderId },
        ]);
      }
      if (r.status === 'active') {
        const lines = await linesOf(manager, [id]);
        await lockStockRows(manager, uniqueKeys(lines));
        const uow = new UnitOfWork(manager);
        if (r.lapsed) {
          this.expiry.expire(uow, [r], lines, ctx.requestId);
        } else {
          const note = {
            type: 'released' as const,
            reference: `reservation:${id}`,
            actor: ctx.actor,
            request_id: ctx.requestId,
          };
          moveStock(
            uow,
            'released_holds',
            movementsOf(lines, { onHand: 0, reserved: -1 }, () => note),
          );
          uow.add('released_reservation', setStatusPart([id], 'released'));
          this.audit.add(
            uow,
            AuditService.of(ctx, {
              action: 'reservation.released',
              objectType: 'reservation',
              objectId: id,
              oldValue: { status: 'active' },
              newValue: { status: 'released' },
            }),
          );
        }
        await uow.flush();
      }
      return (await findReservation(manager, ctx.tenantId, id))!;
    });
  }

  /** Moves expires_at to now + ttl; only an active hold whose time has not passed can be extended. */
  async extend(ctx: RequestContext, id: string, ttlSeconds: number): Promise<ReservationView> {
    return this.tx.run(async (manager) => {
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
}
