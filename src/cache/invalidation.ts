import type { EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';

/** What a transaction changed that cached item views show. */
export interface Touched {
  items: Set<string>;
  tenants: Set<string>;
}

const TOUCHED = 'cache:touched';

const depthOf = (runner: QueryRunner) => (runner as unknown as { transactionDepth: number }).transactionDepth;

function touchedOf(manager: EntityManager): Touched {
  const runner = manager.queryRunner;
  // A write outside a transaction would have no commit to invalidate after: every write path runs in one.
  if (!runner?.isTransactionActive)
    throw new Error('cache invalidation: a change of stock or items needs a transaction');
  let touched = runner.data[TOUCHED] as Touched | undefined;
  if (!touched) {
    touched = { items: new Set(), tenants: new Set() };
    runner.data[TOUCHED] = touched;
  }
  return touched;
}

/**
 * Marks items whose view (fields or stock) the transaction of `manager` changes:
 * their cached entries are invalidated once it commits, before its caller goes on.
 * A savepoint rolled back keeps its marks: invalidating too much only costs a miss.
 */
export function touchItems(manager: EntityManager, itemIds: Iterable<string>): void {
  const touched = touchedOf(manager);
  for (const id of itemIds) touched.items.add(id);
}

/** Marks every item of a tenant (a warehouse's code or priority is in all of its item views). */
export function touchTenant(manager: EntityManager, tenantId: string): void {
  touchedOf(manager).tenants.add(tenantId);
}

/**
 * Runs `invalidate` once a transaction that touched items has committed, and
 * makes the commit wait for it: TypeORM awaits what afterTransactionCommit
 * returns inside commitTransaction, so `dataSource.transaction(...)` (every
 * TransactionRunner path, the batcher's `runOwn` too) resolves only after the
 * invalidation, and no response about the change is sent before it.
 * `invalidate` must not reject: the change has committed either way.
 */
export class InvalidateAfterCommit implements EntitySubscriberInterface {
  constructor(private readonly invalidate: (touched: Touched) => Promise<void>) {}

  afterTransactionCommit({ queryRunner }: { queryRunner: QueryRunner }): Promise<void> | void {
    if (depthOf(queryRunner) > 0) return; // a savepoint released: the transaction has not committed yet
    const touched = queryRunner.data[TOUCHED] as Touched | undefined;
    if (!touched) return;
    delete queryRunner.data[TOUCHED];
    return this.invalidate(touched);
  }

  afterTransactionRollback({ queryRunner }: { queryRunner: QueryRunner }): void {
    if (depthOf(queryRunner) === 0) delete queryRunner.data[TOUCHED];
  }
}
