import { Injectable } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import { DataSource, type EntityManager } from 'typeorm';

const ambient = new AsyncLocalStorage<EntityManager>();

/**
 * Where services open their transactions. Usually a transaction of its own; when
 * the request already runs in one (an Idempotency-Key request, whose stored
 * response must commit with the effect), a savepoint inside it, so a failing
 * service still rolls back exactly its own work.
 */
@Injectable()
export class TransactionRunner {
  constructor(private readonly dataSource: DataSource) {}

  run<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const outer = ambient.getStore();
    return outer ? outer.transaction(work) : this.dataSource.transaction(work);
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
