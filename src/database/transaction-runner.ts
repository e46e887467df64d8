import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, type EntityManager } from 'typeorm';
import { isRetryable } from '../common/pg-errors.js';

const ambient = new AsyncLocalStorage<EntityManager>();
const MAX_ATTEMPTS = 3;

/**
 * Where services open their transactions. Usually a transaction of its own; when
 * the request already runs in one (an Idempotency-Key request, whose stored
 * response must commit with the effect), a savepoint inside it, so a failing
 * service still rolls back exactly its own work.
 */
@Injectable()
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  /**
   * A transaction of its own is run again when PostgreSQL rolled it back to break
   * a deadlock or a serialization conflict (nothing of it happened). A savepoint
   * is not: the error propagates to the enclosing Idempotency-Key transaction,
   * which then fails as a whole (503, no response stored, so a retry is safe).
   */
  async run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const outer = ambient.getStore();
    if (outer) return outer.transaction(work);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(work);
      } catch (err) {
        if (!isRetryable(err) || attempt >= MAX_ATTEMPTS) throw err;
      }
    }
  }

  /** True inside a request that already runs in a transaction (see `within`). */
  static inTransaction(): boolean {
    return ambient.getStore() !== undefined;
  }

  /** Runs `fn` with `manager`'s transaction as the ambient one for every service it calls. */
  static within<T>(manager: EntityManager, fn: () => Promise<T>): Promise<T> {
    return ambient.run(manager, fn);
  }
}
