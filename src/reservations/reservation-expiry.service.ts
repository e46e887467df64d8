import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { isLockTimeout } from '../common/pg-errors.js';
import type { RequestContext } from '../common/request-context.js';
import { sql } from '../database/sql.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { type LockedStock, lockStockRows, moveStock, stockKey, uniqueKeys } from '../inventory/stock.repository.js';
import { movementsOf } from '../ledger/movement.js';
import { HoldOwners } from './hold-owners.js';
import {
  claimLapsed,
  claimLapsedOn,
  claimLapsedOne,
  type HeldLine,
  type LapsedReservation,
  linesOf,
  setStatusPart,
} from './reservation.repository.js';

/** A hold a sweep batch left out, with the stock rows (keys) it found locked elsewhere. */
interface BlockedHold {
  id: string;
  rows: string[];
}

/** How long the sweeper waits for the stock rows of one hold that a batch had to leave out. */
const SWEEP_LOCK_WAIT_MS = 200;

/**
 * Returns the units of holds whose time has passed. The cron sweeps them in
 * batches; a reservation that finds a line short frees the lapsed holds on the
 * stock rows it has locked, so expiry is exact at the moment it matters.
 */
@Injectable()
export class ReservationExpiryService {
  private readonly logger = new Logger('ReservationExpiry');

  constructor(
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly owners: HoldOwners,
  ) {}

  /**
   * Releases lapsed active reservations, `batchSize` per transaction, until none
   * is left. Several instances may sweep at once: each claims its batch with
   * SKIP LOCKED, so no reservation is released twice. A batch never waits for a
   * stock row: holds whose rows another transaction has locked are left out of
   * it, so the sweeper never sits on hundreds of claimed reservations that their
   * owners want to release, extend or confirm. Those are then tried one at a
   * time, each waiting at most SWEEP_LOCK_WAIT_MS for its rows (another sweep or
   * a request holds them for milliseconds); a row still busy after that is left
   * for the next sweep, with every other hold on it, and nothing is claimed twice
   * in one sweep, so a blocked batch cannot make it spin. Returns how many it
   * expired. `scope.tenantIds` limits it to some tenants (the cron sweeps them all).
   */
  async sweep(batchSize = 500, scope: { tenantIds?: string[] } = {}): Promise<number> {
    const requestId = `sweep-${randomUUID()}`;
    const seen: string[] = [];
    const busy: BlockedHold[] = [];
    let total = 0;
    for (;;) {
      const { claimed, expired, blocked, left } = await this.tx.runOwn(async (manager) => {
        const claimed = await claimLapsed(manager, { limit: batchSize, tenantIds: scope.tenantIds, except: seen });
        return { claimed: claimed.length, ...(await this.expireClaimed(manager, claimed, requestId, { wait: false })) };
      });
      total += expired;
      busy.push(...blocked);
      seen.push(...left);
      if (claimed < batchSize) break;
    }
    // Rows still locked after a wait: the other holds on them are left without a transaction.
    const busyRows = new Set<string>();
    for (const { id, rows } of busy) {
      if (rows.some((key) => busyRows.has(key))) continue;
      try {
        total += await this.tx.runOwn(async (manager) => {
          const claimed = await claimLapsedOne(manager, id);
          if (!claimed) return 0;
          await sql(manager, `SET LOCAL lock_timeout = ${SWEEP_LOCK_WAIT_MS}`);
          return (await this.expireClaimed(manager, [claimed], requestId, { wait: true })).expired;
        });
      } catch (err) {
        if (!isLockTimeout(err)) throw err;
        rows.forEach((key) => busyRows.add(key));
      }
    }
    if (total > 0) this.logger.log(`expired ${total} reservation(s)`);
    if (busyRows.size > 0)
      this.logger.log(`left the lapsed holds on ${busyRows.size} busy stock row(s) for the next sweep`);
    return total;
  }

  /**
   * Expires claimed (locked) reservations and cancels their pending orders. Those
   * whose order another transaction holds are left to it; those whose stock rows
   * another transaction holds are waited for (`wait`), or returned as `blocked`.
   * `left`: every claimed reservation still active.
   */
  private async expireClaimed(
    manager: EntityManager,
    claimed: LapsedReservation[],
    requestId: string,
    { wait }: { wait: boolean },
  ): Promise<{ expired: number; blocked: BlockedHold[]; left: string[] }> {
    const owners = await this.owners.lockForExpiry(
      manager,
      claimed.map((r) => r.id),
    );
    const lines = await linesOf(
      manager,
      claimed.filter((r) => !owners.blocked.has(r.id)).map((r) => r.id),
    );
    const got = new Set((await lockStockRows(manager, uniqueKeys(lines), { skipLocked: !wait })).map(stockKey));
    const busyRowsOf = new Map<string, string[]>();
    for (const l of lines.filter((line) => !got.has(stockKey(line)))) {
      busyRowsOf.set(l.reservation_id, [...(busyRowsOf.get(l.reservation_id) ?? []), stockKey(l)]);
    }
    const blocked = new Set(busyRowsOf.keys());
    const left = (id: string) => owners.blocked.has(id) || blocked.has(id);
    const expirable = claimed.filter((r) => !left(r.id));
    const uow = new UnitOfWork(manager);
    this.expire(
      uow,
      expirable,
      lines.filter((l) => !left(l.reservation_id)),
      requestId,
    );
    owners.expire(uow, new Set(expirable.map((r) => r.id)), requestId);
    await uow.flush();
    return {
      expired: expirable.length,
      blocked: [...busyRowsOf].map(([id, rows]) => ({ id, rows })),
      left: claimed.filter((r) => left(r.id)).map((r) => r.id),
    };
  }

  /**
   * Inside a transaction that holds the stock rows `locked`: expires the lapsed
   * holds on those rows. It never waits: reservations the sweeper is busy with,
   * and holds that also sit on stock rows someone else has locked, are left to
   * the sweeper. Returns the lines it freed (on `locked` and on the other rows of
   * those reservations), so that the caller can take them off the counts it has
   * locked instead of reading (or locking) the rows again.
   */
  async expireLapsedOn(manager: EntityManager, ctx: RequestContext, locked: LockedStock[]): Promise<HeldLine[]> {
    const candidates = await claimLapsedOn(manager, ctx.tenantId, locked);
    if (candidates.length === 0) return [];
    const owners = await this.owners.lockForExpiry(
      manager,
      candidates.map((r) => r.id),
    );
    const lines = await linesOf(
      manager,
      candidates.map((r) => r.id),
    );
    const held = new Set(locked.map(stockKey));
    const others = uniqueKeys(lines.filter((l) => !held.has(stockKey(l))));
    const got = await lockStockRows(manager, others, { skipLocked: true });
    got.forEach((s) => held.add(stockKey(s)));
    const blocked = new Set(owners.blocked);
    lines.filter((l) => !held.has(stockKey(l))).forEach((l) => blocked.add(l.reservation_id));
    const expirable = candidates.filter((r) => !blocked.has(r.id));
    const freed = lines.filter((l) => !blocked.has(l.reservation_id));
    const uow = new UnitOfWork(manager);
    this.expire(uow, expirable, freed, ctx.requestId);
    owners.expire(uow, new Set(expirable.map((r) => r.id)), ctx.requestId);
    await uow.flush();
    return freed;
  }

  /**
   * Adds the expiry of locked, lapsed reservations to a unit of work: their units
   * go back (stock rows already locked), their status, their audit rows.
   */
  expire(uow: UnitOfWork, reservations: LapsedReservation[], lines: HeldLine[], requestId: string): void {
    if (reservations.length === 0) return;
    moveStock(
      uow,
      'expired_holds',
      movementsOf(lines, { onHand: 0, reserved: -1 }, (l) => ({
        type: 'expired',
        reference: `reservation:${l.reservation_id}`,
        actor: 'system',
        request_id: requestId,
      })),
    );
    uow.add(
      'expired_reservations',
      setStatusPart(
        reservations.map((r) => r.id),
        'expired',
      ),
    );
    this.audit.add(
      uow,
      reservations.map((r) => ({
        tenantId: r.tenant_id,
        actor: 'system',
        requestId,
        action: 'reservation.expired',
        objectType: 'reservation',
        objectId: r.id,
        oldValue: { status: 'active', expires_at: r.expires_at.toISOString() },
        newValue: { status: 'expired', reason: 'ttl_elapsed' },
      })),
    );
  }
}
