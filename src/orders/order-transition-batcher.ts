import { Logger } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { BatchQueue } from '../common/batch-queue.js';
import type { DomainError } from '../common/errors.js';
import { isDatabaseUnavailable, isRetryable } from '../common/pg-errors.js';
import type { RequestContext } from '../common/request-context.js';
import type { TransactionRunner } from '../database/transaction-runner.js';
import type { OrderView } from './order.repository.js';
import type { OrderStatus } from './order-transitions.js';

const MAX_BATCH = 128;
/**
 * Batches of one tenant in flight at once, on different orders: a batch that
 * waits for a lock (a row someone else holds) stalls only its own transitions,
 * and on a hot item the next batch queues on the stock row in the database,
 * ready to go the moment the one before commits.
 */
const BATCHES = 2;
/** A deadlock or serialization failure rolled the batch back: run it again, this many times at most. */
const MAX_ATTEMPTS = 3;

export interface TransitionJob {
  ctx: RequestContext;
  id: string;
  to: OrderStatus;
}

/**
 * What became of one transition of a batch: done, refused, or left to run alone
 * once the batch committed (it could not share the batch's statement: a second
 * move of an order the batch moves, or a hold that expires now).
 */
export type TransitionOutcome = { view: OrderView } | { error: DomainError } | { alone: true };

interface Pending extends TransitionJob {
  resolve(view: OrderView): void;
  reject(error: unknown): void;
}

/**
 * Group commit for order transitions, one lane per tenant (see BatchQueue):
 * transitions that arrive while the tenant's previous batch is in the database
 * go into the next one, a single transaction that locks every order, hold and
 * stock row once, in the global lock order, and writes every move in one
 * statement (`many`). Locks are waited for as in a single transition (bounded by
 * lock_timeout); up to BATCHES batches on different orders run at once. A deadlock or serialization failure runs the batch again; any
 * other failure of a batch runs each of its transitions alone (`one`), so that
 * none is answered with another's error.
 */
export class OrderTransitionBatcher {
  private readonly logger = new Logger('OrderTransitionBatcher');
  private readonly queue = new BatchQueue<Pending>(
    MAX_BATCH,
    (tenantId, batch) => this.run(tenantId, batch),
    (batch, error) => batch.forEach((job) => job.reject(error)),
    { concurrency: BATCHES, conflictsOf: (job) => [job.id] },
  );

  constructor(
    private readonly tx: TransactionRunner,
    private readonly many: (
      manager: EntityManager,
      tenantId: string,
      jobs: TransitionJob[],
    ) => Promise<TransitionOutcome[]>,
    private readonly one: (job: TransitionJob) => Promise<OrderView>,
  ) {}

  submit(job: TransitionJob): Promise<OrderView> {
    return new Promise((resolve, reject) => this.queue.push(job.ctx.tenantId, { ...job, resolve, reject }));
  }

  private async run(tenantId: string, batch: Pending[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        const outcomes = await this.tx.runOwn((m) => this.many(m, tenantId, batch));
        const alone: Pending[] = [];
        outcomes.forEach((outcome, i) => {
          const job = batch[i]!;
          if ('view' in outcome) job.resolve(outcome.view);
          else if ('error' in outcome) job.reject(outcome.error);
          else alone.push(job);
        });
        return await this.eachAlone(alone);
      } catch (err) {
        if (isRetryable(err) && attempt < MAX_ATTEMPTS) continue;
        if (batch.length === 1 || isDatabaseUnavailable(err)) return batch.forEach((job) => job.reject(err));
        // Not expected: take no chances with the others and run each transition alone.
        this.logger.warn(`batch of ${batch.length} failed (${String(err)}); retrying one by one`);
        return this.eachAlone(batch);
      }
    }
  }

  /** In arrival order, each in a transaction of its own. */
  private async eachAlone(jobs: Pending[]): Promise<void> {
    for (const job of jobs) {
      try {
        job.resolve(await this.one(job));
      } catch (error) {
        job.reject(error);
      }
    }
  }
}
