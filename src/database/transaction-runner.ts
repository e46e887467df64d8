// Which transaction a line runs in: the one whose `manager` it was handed, and only TransactionRunner opens one.
// `run` (a request's change): a transaction of its own, or, in an Idempotency-Key request, a savepoint of that
// request's transaction (`within`). `runOwn`: always its own. A line given no manager (dataSource.query) runs in none.
import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, type EntityManager } from 'typeorm';
import { isRetryable } from '../common/pg-errors.js';
import { Env } from '../config/env.js';
import { poolSettings, transactionPreamble } from './data-source-options.js';
import { inSavepoint } from './savepoint.js';
import { sql } from './sql.js';

/** The transaction of the Idempotency-Key request being handled, if any (set by `within`). */
const requestTransaction = new AsyncLocalStorage<EntityManager>();
const MAX_ATTEMPTS = 3;

/**
 * The one place that opens transactions. An Idempotency-Key request runs in one
 * transaction of its own (IdempotencyService, with `runOwn`) whose stored
 * response must commit with the effect: it hands that transaction to the
 * handler with `within`, and every `run` of the services it calls becomes a
 * savepoint of it, so a failing service still rolls back exactly its own work.
 */
@Injectable()
export class TransactionRunner {
  /** The transaction's own timeouts, behind a transaction-pooling PgBouncer (none in session mode). */
  private readonly preamble?: string;

  constructor(
    private readonly dataSource: DataSource,
    env: Env,
  ) {
    this.preamble = transactionPreamble(poolSettings(env));
  }

  /**
   * A request's change. In a transaction of its own, run again when PostgreSQL
   * rolled it back to break a deadlock or a serialization conflict (nothing of
   * it happened). Inside an Idempotency-Key request, a savepoint of its
   * transaction, not run again: the error propagates to that transaction, which
   * then fails as a whole (503, no response stored, so a retry is safe).
   */
  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const request = requestTransaction.getStore();
    if (request) return inSavepoint(request, async () => ({ keep: true, result: await work(request) }));
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.runOwn(work);
      } catch (err) {
        if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  /**
   * Always a transaction of its own, even inside an Idempotency-Key request (and
   * `run` inside `work` does not join it unless `work` says so with `within`):
   * for work that is no part of one request's change (a batch of reservations,
   * a sweep, the Idempotency-Key request's own transaction). Not run again on a
   * deadlock: the caller decides (the batcher retries, a client retries a 503).
   */
  runOwn<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const preamble = this.preamble;
    if (!preamble) return requestTransaction.exit(() => this.dataSource.transaction(work));
    return requestTransaction.exit(() =>
      this.dataSource.transaction(async (manager) => {
        await sql(manager, preamble);
        return work(manager);
      }),
    );
  }

  /** True inside an Idempotency-Key request, where `run` is a savepoint of the request's transaction. */
  static inTransaction(): boolean {
    return requestTransaction.getStore() !== undefined;
  }

  /** Runs `fn` with `manager`'s transaction as the request's: every `run` of the services it calls is a savepoint of it. */
  static within<T>(manager: EntityManager, fn: () => Promise<T>): Promise<T> {
    return requestTransaction.run(manager, fn);
  }
}
