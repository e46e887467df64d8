import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { Env } from '../config/env.js';
import {
  type DomainError,
  IdempotencyKeyInUseError,
  IdempotencyKeyReusedError,
  InsufficientStockError,
  NotFoundError,
  WarehouseInactiveError,
} from '../common/errors.js';
import { envelope } from '../common/envelope.interceptor.js';
import { toErrorResponse } from '../common/error-response.js';
import {
  claimKeys,
  type ClaimedBefore,
  dropClaimsPart,
  isStoredAnswer,
  type KeyScope,
  readStored,
  storeResponsesPart,
  type StoredResponse,
} from '../idempotency/idempotency-keys.js';
import type { RequestContext } from '../common/request-context.js';
import { inSavepoint } from '../database/savepoint.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { movementsOf } from '../ledger/movement.js';
import { WarehousesService } from '../warehouses/warehouses.service.js';
import {
  allocate,
  type HoldLine,
  mergeLines,
  type RequestedLine,
  type Shortage,
  type StockLevel,
} from './allocation.js';
import {
  compareIds,
  lockForReservation,
  moveStock,
  type PrioritizedStock,
  stockKey,
} from '../inventory/stock.repository.js';
import { ReservationExpiryService } from './reservation-expiry.service.js';
import { addNewReservations, type ReservationView } from './reservation.repository.js';

export interface HoldRequest {
  lines: RequestedLine[];
  ttlSeconds?: number;
  reference?: string | null;
}

export interface HoldJob {
  ctx: RequestContext;
  request: HoldRequest;
  /** Its Idempotency-Key: claimed, and its response stored, in the transaction that decides it. */
  key?: KeyScope;
  /** What else the request makes with its hold (an order), written with it (never with a key: orders keep their own transaction). */
  extra?: HoldExtra<unknown>;
}

/**
 * What a request makes with its hold besides the reservation (an order made with
 * it), so that a batch writes it in the same statement as the hold; all the
 * reservations module knows of it (it never reads the orders' tables).
 */
export interface HoldExtra<T> {
  /**
   * A refusal that ranks after every stock answer (an order's amount out of
   * range): answered instead of a hold the request would get, which then takes
   * no units, so that later requests of the batch may have them.
   */
  refusal?: DomainError;
  /**
   * Adds its rows to the batch's unit of work, once the hold is taken (collected
   * parts, so that every request's rows go in one of each), and answers what the
   * request answers instead of the reservation.
   */
  write(uow: UnitOfWork, reservation: ReservationView): T;
}

/**
 * What became of one request of a batch: held (with what it answers: the
 * reservation, or what its extra made), refused, answered with the stored
 * response of its Idempotency-Key's first request, or (when the batch skips
 * locked rows) not decided because a row of its items is locked elsewhere.
 */
export type HoldResult =
  | { view: ReservationView; answer: unknown }
  | { error: DomainError }
  | { replay: StoredResponse }
  | { contended: string };

export interface ReserveOptions {
  /** Never wait for a row lock: requests on items with a row locked elsewhere come back `contended`. */
  skipLocked?: boolean;
  /** Never wait for a row lock: fail at once (55P03) if one is locked elsewhere (cheaper than skipLocked). */
  noWait?: boolean;
  /** Items not to decide on now (requests on them wait elsewhere): requests naming them come back `contended`. */
  blockedItems?: ReadonlySet<string>;
  /** Longest wait for the locks, all of them together (lock_timeout alone bounds each lock wait on its own). */
  lockWaitMs?: number;
}

/**
 * Taking holds: the one place where stock gets reserved. It serves any number of
 * requests of one tenant in one transaction (a batch, or a single request) with
 * two statements whatever the batch: one locks the items and their stock rows,
 * in the global order; each request is then decided all-or-nothing, in arrival
 * order, against the locked counts; one more writes every accepted hold,
 * reservation, line and audit row. Round trips are what a hot row's lock is held
 * for, so there are as few as possible.
 */
@Injectable()
export class ReservationHoldsService {
  constructor(
    private readonly audit: AuditService,
    private readonly expiry: ReservationExpiryService,
    private readonly warehouses: WarehousesService,
    private readonly env: Env,
  ) {}

  /** One request without a key of its own, on the caller's transaction (orders reserve inside their own). */
  async reserveIn(manager: EntityManager, ctx: RequestContext, request: HoldRequest): Promise<ReservationView> {
    // Without skipLocked every request is decided (its lock waits are bounded by lock_timeout).
    const [result] = await this.reserveMany(manager, ctx.tenantId, [{ ctx, request }]);
    if (!result || !('view' in result || 'error' in result)) {
      throw new Error('a reservation that waits for its locks came back undecided');
    }
    if ('error' in result) throw result.error;
    return result.view;
  }

  /**
   * Decides `jobs` in arrival order on one transaction. With `skipLocked` it never
   * waits for a row lock: a request on an item of which another transaction holds
   * a row comes back `contended` (naming that item), undecided, and so does every
   * later request that shares an item with one left undecided (arrival order per
   * item); the others go on.
   */
  async reserveMany(
    manager: EntityManager,
    tenantId: string,
    jobs: HoldJob[],
    options: ReserveOptions = {},
  ): Promise<HoldResult[]> {
    const results = new Array<HoldResult>(jobs.length);
    const claimed = await claimJobKeys(manager, tenantId, jobs, results);
    // A replayed (or refused) key's request is answered already: it takes no lock and no part.
    const lines = jobs.map((job, i) => (results[i] ? [] : mergeLines(job.request.lines)));
    const itemIds = [...new Set(lines.flat().map((l) => l.item_id))];
    const { live, stock, now, contended } = await lockForReservation(manager, tenantId, itemIds, options);
    const warehouseActive = await this.knownWarehouses(manager, tenantId, lines, stock);

    const undecided = new Set([...contended, ...(options.blockedItems ?? [])]);
    const candidates: number[] = [];
    lines.forEach((jobLines, i) => {
      if (results[i]) return;
      const waitsFor = jobLines.find((l) => undecided.has(l.item_id))?.item_id;
      const unknownItems = [...new Set(jobLines.map((l) => l.item_id).filter((id) => !live.has(id)))];
      const namedWarehouses = [...new Set(jobLines.flatMap((l) => (l.warehouse_id ? [l.warehouse_id] : [])))];
      const unknownWarehouses = namedWarehouses.filter((id) => warehouseActive(id) === undefined);
      const inactiveWarehouses = namedWarehouses.filter((id) => warehouseActive(id) === false);
      if (waitsFor !== undefined) {
        results[i] = { contended: waitsFor };
        jobLines.forEach((l) => undecided.add(l.item_id));
      } else if (unknownItems.length > 0) {
        results[i] = {
          error: new NotFoundError(
            'Item',
            unknownItems.map((item_id) => ({ item_id })),
          ),
        };
      } else if (unknownWarehouses.length > 0) {
        results[i] = {
          error: new NotFoundError(
            'Warehouse',
            unknownWarehouses.map((warehouse_id) => ({ warehouse_id })),
          ),
        };
      } else if (inactiveWarehouses.length > 0) {
        results[i] = { error: new WarehouseInactiveError(inactiveWarehouses) };
      } else {
        candidates.push(i);
      }
    });

    const refusals = new Map(jobs.flatMap((job, i) => (job.extra?.refusal ? [[i, job.extra.refusal] as const] : [])));
    let plan = decide(candidates, lines, stock, refusals);
    if (plan.short.size > 0) {
      plan = await this.freeLapsedHolds(manager, jobs[[...plan.short.keys()][0]!]!.ctx, {
        candidates,
        lines,
        stock,
        plan,
        refusals,
      });
    }
    for (const [i, shortages] of plan.short) {
      results[i] = { error: new InsufficientStockError('Not enough available stock for every line', shortages) };
    }
    for (const [i, error] of plan.refused) results[i] = { error };
    const uow = new UnitOfWork(manager);
    if (plan.accepted.size > 0) {
      // Accepted requests have live items, so the lock statement returned rows, and now().
      if (!now) throw new Error('holds accepted without the transaction timestamp');
      const stamp = now;
      const accepted = [...plan.accepted].map(([i, holds]) => ({
        i,
        job: jobs[i]!,
        view: this.newView(holds, jobs[i]!.request, stamp),
      }));
      // The holds, the reservations, their lines and their audit rows: one statement.
      moveStock(
        uow,
        'held_stock',
        accepted.flatMap(({ job, view }) =>
          movementsOf(view.lines, { onHand: 0, reserved: 1 }, () => ({
            type: 'reserved',
            reference: `reservation:${view.id}`,
            actor: job.ctx.actor,
            request_id: job.ctx.requestId,
          })),
        ),
      );
      addNewReservations(
        uow,
        tenantId,
        accepted.map((a) => a.view),
      );
      this.audit.add(
        uow,
        accepted.map(({ job, view }) => ({
          tenantId,
          actor: job.ctx.actor,
          requestId: job.ctx.requestId,
          action: 'reservation.created',
          objectType: 'reservation',
          objectId: view.id,
          newValue: view,
        })),
      );
      // What the requests make of their holds (orders), in the same statement.
      for (const { i, job, view } of accepted) {
        results[i] = { view, answer: job.extra ? job.extra.write(uow, view) : view };
      }
    }
    addKeyOutcomes(uow, tenantId, jobs, results, claimed);
    await uow.flush();
    return results;
  }

  /**
   * Lapsed holds never block a request: frees those on the rows the batch holds
   * and decides again on the counts less the freed units (no row is read or
   * locked again, so the lock order stays that of the first statement). In a
   * savepoint, kept when a request refused before now gets through, and rolled
   * back otherwise: a refused request changes nothing, the sweeper tidies up.
   */
  private async freeLapsedHolds(
    manager: EntityManager,
    ctx: RequestContext,
    {
      candidates,
      lines,
      stock,
      plan,
      refusals,
    }: {
      candidates: number[];
      lines: RequestedLine[][];
      stock: PrioritizedStock[];
      plan: Plan;
      refusals: ReadonlyMap<number, DomainError>;
    },
  ): Promise<Plan> {
    return inSavepoint(manager, async () => {
      const freed = await this.expiry.expireLapsedOn(manager, ctx, stock);
      const next = freed.length > 0 ? decide(candidates, lines, withoutHolds(stock, freed), refusals) : plan;
      const gained = [...plan.short.keys()].some((i) => next.accepted.has(i));
      if (gained) return { keep: true, result: next };
      // Undone: the same answers, but a refusal says what is available without the lapsed holds, as reads do,
      // and a request that the freed units would have served gets the refusal that ranks after stock.
      const refused = new Map(plan.refused);
      const short = new Map<number, Shortage[]>();
      for (const [i, shortages] of plan.short) {
        const error = next.refused.get(i);
        if (error) refused.set(i, error);
        else short.set(i, next.short.get(i) ?? shortages);
      }
      return { keep: false, result: { accepted: plan.accepted, short, refused } };
    });
  }

  /**
   * The reservation as it will be stored: stamped with the transaction's `now()`,
   * which is what the database puts in its timestamps too (milliseconds, as every
   * view of it shows them).
   */
  private newView(holds: HoldLine[], request: HoldRequest, now: Date): ReservationView {
    const ttl = request.ttlSeconds ?? this.env.RESERVATION_DEFAULT_TTL_SECONDS;
    const stamp = now.toISOString();
    return {
      id: randomUUID(),
      status: 'active',
      reference: request.reference ?? null,
      expires_at: new Date(now.getTime() + ttl * 1000).toISOString(),
      created_at: stamp,
      updated_at: stamp,
      lines: [...holds].sort((a, b) => compareIds(a.item_id, b.item_id) || compareIds(a.warehouse_id, b.warehouse_id)),
    };
  }

  /**
   * Whether a warehouse a line names is one of the tenant's (undefined: it is not),
   * and if so whether it is active. Those with stock of the items are known from
   * the locked rows; the others (rare) are looked up.
   */
  private async knownWarehouses(
    manager: EntityManager,
    tenantId: string,
    lines: RequestedLine[][],
    stock: PrioritizedStock[],
  ): Promise<(id: string) => boolean | undefined> {
    const known = new Map(stock.map((s) => [s.warehouse_id, s.active]));
    const unseen = [
      ...new Set(lines.flat().flatMap((l) => (l.warehouse_id && !known.has(l.warehouse_id) ? [l.warehouse_id] : []))),
    ];
    for (const [id, active] of await this.warehouses.existing(manager, tenantId, unseen)) known.set(id, active);
    return (id) => known.get(id);
  }
}

/**
 * Claims the Idempotency-Keys of the jobs that have one, first thing in the
 * transaction. A key claimed before answers its job with the stored response (or
 * 422 for another request under it); the same key twice in one batch, or one
 * whose first request commits just now, is answered 409 `idempotency_key_in_use`
 * (a retry then gets the replay). Answers the indexes of the jobs whose key this
 * transaction now holds.
 */
async function claimJobKeys(
  manager: EntityManager,
  tenantId: string,
  jobs: HoldJob[],
  results: HoldResult[],
): Promise<Set<number>> {
  const claimed = new Set<number>();
  const first = new Map<string, number>();
  jobs.forEach((job, i) => {
    if (!job.key) return;
    if (first.has(job.key.key)) results[i] = { error: new IdempotencyKeyInUseError() };
    else first.set(job.key.key, i);
  });
  if (first.size === 0) return claimed;
  const found = await claimKeys(
    manager,
    tenantId,
    [...first.values()].map((i) => jobs[i]!.key!),
  );
  const unread = [...found].filter(([, f]) => f === undefined).map(([k]) => k);
  const late = unread.length > 0 ? await readStored(manager, tenantId, unread) : new Map<string, ClaimedBefore>();
  for (const [key, i] of first) {
    const f = found.get(key) ?? late.get(key);
    if (f === 'claimed') claimed.add(i);
    else if (f === undefined) results[i] = { error: new IdempotencyKeyInUseError() };
    else if (!f.fingerprint.equals(jobs[i]!.key!.fingerprint)) results[i] = { error: new IdempotencyKeyReusedError() };
    else results[i] = { replay: { status: f.status, body: f.body } };
  }
  return claimed;
}

/**
 * What the claimed keys keep: the response of a decided request (a hold, or a
 * refusal, as the client receives it), stored with its effect; a request left
 * undecided (contended) gives its key up, to claim it again when it is decided.
 */
function addKeyOutcomes(
  uow: UnitOfWork,
  tenantId: string,
  jobs: HoldJob[],
  results: HoldResult[],
  claimed: Set<number>,
): void {
  if (claimed.size === 0) return;
  const stored: { key: string; response: StoredResponse }[] = [];
  const dropped: string[] = [];
  for (const i of claimed) {
    const { key, requestId, status } = jobs[i]!.key!;
    const result = results[i]!;
    // What the client receives: the request's answer (the reservation, or what its extra made of it), wrapped.
    if ('view' in result) stored.push({ key, response: { status, body: envelope(requestId, result.answer) } });
    else if ('error' in result && isStoredAnswer(result.error)) {
      stored.push({ key, response: toErrorResponse(result.error, requestId) });
    } else dropped.push(key);
  }
  if (stored.length > 0) uow.add('stored_responses', storeResponsesPart(tenantId, stored));
  if (dropped.length > 0) uow.add('dropped_claims', dropClaimsPart(tenantId, dropped));
}

interface Plan {
  accepted: Map<number, HoldLine[]>;
  short: Map<number, Shortage[]>;
  /** Requests the stock would serve, refused for what ranks after it (HoldExtra.refusal): they take no units. */
  refused: Map<number, DomainError>;
}

/** The locked counts after `freed` holds went back. */
function withoutHolds(stock: PrioritizedStock[], freed: HoldLine[]): PrioritizedStock[] {
  const back = new Map<string, number>();
  for (const h of freed) back.set(stockKey(h), (back.get(stockKey(h)) ?? 0) + h.quantity);
  return stock.map((s) => ({ ...s, reserved: s.reserved - (back.get(stockKey(s)) ?? 0) }));
}

/** Each candidate in arrival order, all-or-nothing, against what the earlier ones left. */
function decide(
  candidates: number[],
  lines: RequestedLine[][],
  stock: PrioritizedStock[],
  refusals: ReadonlyMap<number, DomainError>,
): Plan {
  const remaining = new Map(stock.map((s) => [stockKey(s), s.on_hand - s.reserved]));
  const rowsOfItem = new Map<string, PrioritizedStock[]>();
  for (const s of stock) {
    const rows = rowsOfItem.get(s.item_id);
    if (rows) rows.push(s);
    else rowsOfItem.set(s.item_id, [s]);
  }
  const accepted = new Map<number, HoldLine[]>();
  const short = new Map<number, Shortage[]>();
  const refused = new Map<number, DomainError>();
  for (const i of candidates) {
    // Only the rows of this request's items, at what is left of them.
    const levels: StockLevel[] = [...new Set(lines[i]!.map((l) => l.item_id))].flatMap((itemId) =>
      (rowsOfItem.get(itemId) ?? []).map((s) => ({
        item_id: s.item_id,
        warehouse_id: s.warehouse_id,
        available: remaining.get(stockKey(s))!,
        priority: s.priority,
        active: s.active,
      })),
    );
    const { holds, shortages } = allocate(lines[i]!, levels);
    if (shortages.length > 0) {
      short.set(i, shortages);
      continue;
    }
    const refusal = refusals.get(i);
    if (refusal) {
      refused.set(i, refusal);
      continue;
    }
    for (const h of holds) remaining.set(stockKey(h), remaining.get(stockKey(h))! - h.quantity);
    accepted.set(i, holds);
  }
  return { accepted, short, refused };
}
