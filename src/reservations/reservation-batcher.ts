import { Injectable, Logger } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { BatchQueue } from '../common/batch-queue.js';
import { isDatabaseUnavailable, isLockTimeout, isRetryable } from '../common/pg-errors.js';
import type { RequestContext } from '../common/request-context.js';
import { Env } from '../config/env.js';
import { type HoldJob, type HoldRequest, type HoldResult, ReservationHoldsService } from './reservation-holds.service.js';
import type { ReservationView } from './reservation-store.js';

const MAX_BATCH = 128;
/** A deadlock or serialization failure rolled the batch back: run it again, this many times at most. */
const MAX_ATTEMPTS = 3;
/** The shortest lock wait a waiting batch is given, even for requests already at their deadline. */
const MIN_LOCK_WAIT_MS = 50;

interface Pending extends HoldJob {
  /** When this request has waited for row locks as long as DB_LOCK_TIMEOUT_MS allows. */
  deadline: number;
  resolve(view: ReservationView): void;
  reject(error: unknown): void;
}

/**
 * Group commit for reservations, in two lanes per tenant.
 *
 * The fresh lane: requests that arrive while the tenant's previous batch is in
 * the database wait for the next one, and each batch is a single transaction, so
 * a hot stock row is locked once for many callers instead of once per caller.
 * It never waits for a row lock (SKIP LOCKED): a request on an item of which
 * another transaction holds a row moves to the waiting lane, and the others are
 * decided at once. A request on a free item never waits for one on a locked item.
 *
 * The waiting lane: batches that wait for their locks, each request no longer
 * than DB_LOCK_TIMEOUT_MS from its arrival. When a wait times out, the requests
 * whose rows are free by then are decided, those past their deadline get the 503,
 * and the rest wait on. Requests on an item with requests in the waiting lane go
 * there too, behind them, so that requests on one item are decided in arrival order.
 *
 * Every request is decided on its own, all or nothing, and answered with its own result.
 */
@Injectable()
export class ReservationBatcher {
  private readonly logger = new Logger('ReservationBatcher');
  private readonly fresh = new BatchQueue<Pending>(MAX_BATCH, (tenantId, batch) => this.runFresh(tenantId, batch), fail);
  private readonly waiting = new BatchQueue<Pending>(MAX_BATCH, (tenantId, batch) => this.runWaiting(tenantId, batch), fail);
  /** Per tenant, how many requests in the waiting lane name each item. */
  private readonly waitingItems = new Map<string, Map<string, number>>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly holds: ReservationHoldsService,
    private readonly env: Env,
  ) {}

  submit(ctx: RequestContext, request: HoldRequest): Promise<ReservationView> {
    return new Promise((resolve, reject) => {
      const deadline = Date.now() + this.env.DB_LOCK_TIMEOUT_MS;
      this.fresh.push(ctx.tenantId, { ctx, request, deadline, resolve, reject });
    });
  }

  private async runFresh(tenantId: string, batch: Pending[]): Promise<void> {
    const behind = batch.filter((job) => this.isWaitingOn(tenantId, job));
    const now = batch.filter((job) => !behind.includes(job));
    const results = now.length > 0 ? await this.attempt(now, (m) => this.holds.reserveMany(m, tenantId, now, { skipLocked: true })) : [];
    const contended = now.filter((job, i) => results && 'contended' in results[i]!);
    if (results) settle(now, results);
    this.toWaiting(tenantId, batch.filter((job) => behind.includes(job) || contended.includes(job)));
  }

  private async runWaiting(tenantId: string, batch: Pending[]): Promise<void> {
    const wait = Math.max(MIN_LOCK_WAIT_MS, Math.min(...batch.map((job) => job.deadline)) - Date.now());
    let timedOut: unknown;
    let results = await this.attempt(
      batch,
      async (m) => {
        await m.query(`SET LOCAL lock_timeout = ${Math.round(wait)}`);
        return this.holds.reserveMany(m, tenantId, batch);
      },
      (err) => {
        timedOut = err;
        return isLockTimeout(err);
      },
    );
    if (!results && timedOut !== undefined && isLockTimeout(timedOut)) {
      // Someone still holds a row: decide what is free now; who is past its deadline gets the 503, the others wait on.
      results = await this.attempt(batch, (m) => this.holds.reserveMany(m, tenantId, batch, { skipLocked: true }));
      if (results) {
        const stillBlocked = batch.filter((_, i) => 'contended' in results![i]!);
        const overdue = stillBlocked.filter((job) => job.deadline <= Date.now() + MIN_LOCK_WAIT_MS);
        overdue.forEach((job) => job.reject(timedOut));
        this.waiting.pushFront(tenantId, ...stillBlocked.filter((job) => !overdue.includes(job)));
        settle(batch, results);
        this.leftWaiting(tenantId, batch.filter((job) => !stillBlocked.includes(job) || overdue.includes(job)));
        return;
      }
    }
    if (results) settle(batch, results);
    this.leftWaiting(tenantId, batch);
  }

  /**
   * Runs one batch in a transaction and returns its results, or answers every
   * request itself and returns undefined when the batch failed. A deadlock or
   * serialization failure (PostgreSQL rolled the batch back) is run again;
   * `handled` errors are left to the caller (the requests stay unanswered).
   */
  private async attempt(
    batch: Pending[],
    work: (manager: EntityManager) => Promise<HoldResult[]>,
    handled: (err: unknown) => boolean = () => false,
  ): Promise<HoldResult[] | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(work);
      } catch (err) {
        if (isRetryable(err) && attempt < MAX_ATTEMPTS) continue;
        if (handled(err)) return undefined;
        if (batch.length === 1 || isDatabaseUnavailable(err)) {
          batch.forEach((job) => job.reject(err));
          return undefined;
        }
        // Not expected: take no chances with the others and run each request alone.
        this.logger.warn(`batch of ${batch.length} failed (${String(err)}); retrying one by one`);
        for (const job of batch) {
          try {
            job.resolve(await this.dataSource.transaction((m) => this.holds.reserveIn(m, job.ctx, job.request)));
          } catch (error) {
            job.reject(error);
          }
        }
        return undefined;
      }
    }
  }

  private isWaitingOn(tenantId: string, job: Pending): boolean {
    const items = this.waitingItems.get(tenantId);
    return items !== undefined && job.request.lines.some((l) => items.has(l.item_id));
  }

  private toWaiting(tenantId: string, jobs: Pending[]): void {
    if (jobs.length === 0) return;
    const items = this.waitingItems.get(tenantId) ?? new Map<string, number>();
    this.waitingItems.set(tenantId, items);
    for (const id of jobs.flatMap(itemsOf)) items.set(id, (items.get(id) ?? 0) + 1);
    this.waiting.push(tenantId, ...jobs);
  }

  private leftWaiting(tenantId: string, jobs: Pending[]): void {
    const items = this.waitingItems.get(tenantId);
    if (!items) return;
    for (const id of jobs.flatMap(itemsOf)) {
      const n = (items.get(id) ?? 1) - 1;
      if (n > 0) items.set(id, n);
      else items.delete(id);
    }
    if (items.size === 0) this.waitingItems.delete(tenantId);
  }
}

/** The distinct items a request names. */
const itemsOf = (job: Pending): string[] => [...new Set(job.request.lines.map((l) => l.item_id))];

/** Answers the decided requests; contended ones are left for the caller. */
function settle(batch: Pending[], results: HoldResult[]): void {
  results.forEach((result, i) => {
    if ('view' in result) batch[i]!.resolve(result.view);
    else if ('error' in result) batch[i]!.reject(result.error);
  });
}

function fail(batch: Pending[], error: unknown): void {
  batch.forEach((job) => job.reject(error));
}
