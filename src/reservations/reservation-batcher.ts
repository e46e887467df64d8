import { Injectable, Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BatchQueue } from '../common/batch-queue.js';
import { isDatabaseUnavailable, isLockTimeout, isPgError, isRetryable, PgCode } from '../common/pg-errors.js';
import type { RequestContext } from '../common/request-context.js';
import { Env } from '../config/env.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import {
  type HoldExtra,
  type HoldJob,
  type HoldRequest,
  type HoldResult,
  ReservationHoldsService,
} from './reservation-holds.service.js';
import type { ReservationView } from './reservation.repository.js';
import type { KeyScope, StoredResponse } from '../idempotency/idempotency-keys.js';
import { Slots } from '../common/slots.js';
import { IdempotencyKeyInUseError } from '../common/errors.js';

const MAX_BATCH = 128;
/**
 * Fresh batches of one tenant in flight at once, on items no other of them
 * names: requests spread over many items need not wait for one batch's round
 * trips; those on one hot item are still batched one after the other.
 */
const FRESH_BATCHES = 2;
/** A deadlock or serialization failure rolled the batch back: run it again, this many times at most. */
const MAX_ATTEMPTS = 3;
/** The shortest lock wait a waiting batch is given, even for requests already at their deadline. */
const MIN_LOCK_WAIT_MS = 50;

/**
 * A decided request's answer: its hold (and, with an extra, what that made of it),
 * or its Idempotency-Key's stored response.
 */
export type HoldOutcome = { view: ReservationView; answer?: unknown } | { replay: StoredResponse };

interface Pending extends HoldJob {
  /** When this request has waited for row locks as long as DB_LOCK_TIMEOUT_MS allows (performance.now()). */
  deadline: number;
  resolve(outcome: HoldOutcome): void;
  reject(error: unknown): void;
}

/** What became of a batch: its results, or every request already answered (it failed as a whole). */
type Attempt = { results: HoldResult[] } | { answered: true } | { lockWaitEnded: unknown };

/**
 * Group commit for reservations, in lanes.
 *
 * The fresh lane, one per tenant: requests that arrive while the tenant's
 * previous batch is in the database wait for the next one, and each batch is a
 * single transaction, so a hot stock row is locked once for many callers
 * instead of once per caller. Up to FRESH_BATCHES batches run at once if they
 * name different items (a request on an item a running batch names waits for
 * the next batch, so that requests on one item are decided in arrival order). It never waits for a row lock (NOWAIT, and when
 * that finds one locked, SKIP LOCKED): a
 * request on an item of which another transaction holds a row moves to a
 * waiting lane, and so does every later request sharing an item with it, so
 * that requests on one item are decided in arrival order. The others are
 * decided at once: a request on a free item never waits for one on a locked item.
 *
 * Waiting lanes, one per tenant and contended item: batches that wait for their
 * locks, each request no longer than DB_LOCK_TIMEOUT_MS from its arrival (the
 * statement's timeout bounds all its lock waits together). When the wait ends,
 * the requests whose rows are free by then are decided, those past their
 * deadline get the 503, and the others wait on. At most half the pool waits at
 * once, so that waiting never starves the fresh lanes of connections.
 *
 * Every request is decided on its own, all or nothing, and answered with its own result.
 */
@Injectable()
export class ReservationBatcher {
  private readonly logger = new Logger('ReservationBatcher');
  private readonly fresh = new BatchQueue<Pending>(
    MAX_BATCH,
    (tenantId, batch) => this.runFresh(tenantId, batch),
    fail,
    { concurrency: FRESH_BATCHES, conflictsOf: itemsOf },
  );
  private readonly waiting = new BatchQueue<Pending>(
    MAX_BATCH,
    (lane, batch) => this.runWaiting(lane, batch),
    (batch, error, lane) => {
      fail(batch, error);
      this.leftWaiting(tenantOf(lane), batch);
    },
  );
  /** Per tenant: the items requests in a waiting lane name, with that lane and how many requests. */
  private readonly waitingItems = new Map<string, Map<string, { lane: string; count: number }>>();
  private readonly waitSlots: Slots;
  /** The Idempotency-Keys of the requests submitted and not answered yet ("tenant key"). */
  private readonly keysInFlight = new Set<string>();

  constructor(
    private readonly tx: TransactionRunner,
    private readonly holds: ReservationHoldsService,
    private readonly env: Env,
  ) {
    this.waitSlots = new Slots(Math.max(1, Math.floor(env.DB_POOL_SIZE / 2)));
  }

  /**
   * With `key`, the batch's transaction also claims it and stores the response
   * (see claimJobKeys). A key already on its way here (a client's retry of a
   * request still queued or waiting for its locks) is answered 409 at once, as
   * an Idempotency-Key request whose twin is in flight is: its claim would wait
   * for the twin's transaction, and hold up the whole batch meanwhile.
   */
  submit(ctx: RequestContext, request: HoldRequest, key?: KeyScope): Promise<HoldOutcome> {
    const keyId = key && `${key.tenantId} ${key.key}`;
    if (keyId !== undefined) {
      if (this.keysInFlight.has(keyId)) return Promise.reject(new IdempotencyKeyInUseError());
      this.keysInFlight.add(keyId);
    }
    const promise = new Promise<HoldOutcome>((resolve, reject) => {
      const deadline = performance.now() + this.env.DB_LOCK_TIMEOUT_MS;
      this.fresh.push(ctx.tenantId, { ctx, request, key, deadline, resolve, reject });
    });
    return keyId === undefined ? promise : promise.finally(() => this.keysInFlight.delete(keyId));
  }

  /**
   * A request that makes something of its hold (an order: see HoldExtra), batched
   * like any other and written by its batch's statement; never with a key.
   * Answers what `extra` made.
   */
  async submitWith<T>(ctx: RequestContext, request: HoldRequest, extra: HoldExtra<T>): Promise<T> {
    const outcome = await new Promise<HoldOutcome>((resolve, reject) => {
      const deadline = performance.now() + this.env.DB_LOCK_TIMEOUT_MS;
      this.fresh.push(ctx.tenantId, { ctx, request, extra, deadline, resolve, reject });
    });
    if (!('answer' in outcome)) throw new Error('a request without a key came back replayed');
    return outcome.answer as T;
  }

  private async runFresh(tenantId: string, batch: Pending[]): Promise<void> {
    const blockedItems = new Set(this.waitingItems.get(tenantId)?.keys());
    // Without contention (the usual case) one NOWAIT statement locks everything; only when
    // it finds a row locked elsewhere does the batch run again, skipping the locked rows.
    let outcome = await this.attempt(
      batch,
      (m) => this.holds.reserveMany(m, tenantId, batch, { noWait: true, blockedItems }),
      true,
    );
    if ('lockWaitEnded' in outcome) {
      outcome = await this.attempt(batch, (m) =>
        this.holds.reserveMany(m, tenantId, batch, { skipLocked: true, blockedItems }),
      );
    }
    if ('results' in outcome) this.settle(tenantId, batch, outcome.results);
  }

  private async runWaiting(lane: string, batch: Pending[]): Promise<void> {
    const tenantId = tenantOf(lane);
    await this.waitSlots.acquire();
    try {
      // The wait is computed anew for every attempt: a deadlock retry does not start the clock again.
      const lockWaitMs = () =>
        Math.max(MIN_LOCK_WAIT_MS, Math.min(...batch.map((job) => job.deadline)) - performance.now());
      let outcome = await this.attempt(
        batch,
        (m) => this.holds.reserveMany(m, tenantId, batch, { lockWaitMs: lockWaitMs() }),
        true,
      );
      if ('lockWaitEnded' in outcome) {
        // Someone still holds a row: decide what is free now; who is past its deadline gets the 503, the others wait on.
        const timedOut = outcome.lockWaitEnded;
        outcome = await this.attempt(batch, (m) => this.holds.reserveMany(m, tenantId, batch, { skipLocked: true }));
        if ('results' in outcome) {
          const results = outcome.results;
          const overdue = new Set(
            batch.filter(
              (job, i) => 'contended' in results[i]! && job.deadline <= performance.now() + MIN_LOCK_WAIT_MS,
            ),
          );
          overdue.forEach((job) => job.reject(timedOut));
          this.leftWaiting(tenantId, [...overdue]);
          const waitOn = batch.filter((job, i) => 'contended' in results[i]! && !overdue.has(job));
          this.waiting.pushFront(lane, ...waitOn);
          this.leftWaiting(
            tenantId,
            batch.filter((job, i) => !('contended' in results[i]!)),
          );
          settleDecided(batch, results);
          return;
        }
      }
      if ('results' in outcome) settleDecided(batch, outcome.results);
      this.leftWaiting(tenantId, batch);
    } finally {
      this.waitSlots.release();
    }
  }

  /**
   * Runs one batch in a transaction. A deadlock or serialization failure
   * (PostgreSQL rolled the batch back) is run again. With `lockWaitEnds`, a lock
   * wait that ran out is handed back to the caller; any other failure answers
   * every request of the batch here.
   */
  private async attempt(
    batch: Pending[],
    work: (manager: EntityManager) => Promise<HoldResult[]>,
    lockWaitEnds = false,
  ): Promise<Attempt> {
    for (let attempt = 1; ; attempt++) {
      try {
        return { results: await this.tx.runOwn(work) };
      } catch (err) {
        if (isRetryable(err) && attempt < MAX_ATTEMPTS) continue;
        if (lockWaitEnds && (isLockTimeout(err) || isPgError(err, PgCode.queryCanceled))) return { lockWaitEnded: err };
        if (batch.length === 1 || isDatabaseUnavailable(err)) {
          batch.forEach((job) => job.reject(err));
          return { answered: true };
        }
        // Not expected: take no chances with the others and run each request alone.
        this.logger.warn(`batch of ${batch.length} failed (${String(err)}); retrying one by one`);
        for (const job of batch) {
          try {
            const [result] = await this.tx.runOwn((m) => this.holds.reserveMany(m, job.ctx.tenantId, [job]));
            settleDecided([job], [result!]);
          } catch (error) {
            job.reject(error);
          }
        }
        return { answered: true };
      }
    }
  }

  /** Answers the decided requests of a fresh batch and moves the contended ones to their waiting lanes, in order. */
  private settle(tenantId: string, batch: Pending[], results: HoldResult[]): void {
    settleDecided(batch, results);
    const items = this.waitingItems.get(tenantId) ?? new Map<string, { lane: string; count: number }>();
    results.forEach((result, i) => {
      if (!('contended' in result)) return;
      const job = batch[i]!;
      // Behind the requests already waiting on one of its items, or in a lane of the item it waits for.
      const lane =
        itemsOf(job)
          .map((id) => items.get(id)?.lane)
          .find((l) => l !== undefined) ?? `${tenantId} ${result.contended}`;
      for (const id of itemsOf(job)) {
        const entry = items.get(id);
        if (entry) entry.count++;
        else items.set(id, { lane, count: 1 });
      }
      this.waiting.push(lane, job);
    });
    if (items.size > 0) this.waitingItems.set(tenantId, items);
  }

  private leftWaiting(tenantId: string, jobs: Pending[]): void {
    const items = this.waitingItems.get(tenantId);
    if (!items) return;
    for (const id of jobs.flatMap(itemsOf)) {
      const entry = items.get(id);
      if (entry && --entry.count <= 0) items.delete(id);
    }
    if (items.size === 0) this.waitingItems.delete(tenantId);
  }
}

const tenantOf = (lane: string): string => lane.slice(0, lane.indexOf(' '));

/** The distinct items a request names. */
const itemsOf = (job: Pending): string[] => [...new Set(job.request.lines.map((l) => l.item_id))];

/** Answers the decided requests; contended ones are left for the caller. */
function settleDecided(batch: Pending[], results: HoldResult[]): void {
  results.forEach((result, i) => {
    if ('error' in result) batch[i]!.reject(result.error);
    else if (!('contended' in result)) batch[i]!.resolve(result);
  });
}

function fail(batch: Pending[], error: unknown): void {
  batch.forEach((job) => job.reject(error));
}
