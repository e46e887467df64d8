import type { EntityManager, EntitySubscriberInterface, QueryRunner } from 'typeorm';

interface Pending {
  /** Transaction depth it was recorded at (savepoints nest inside the transaction). */
  depth: number;
  run: () => void;
}

const PENDING = 'metrics:afterCommit';

const depthOf = (runner: QueryRunner) => (runner as unknown as { transactionDepth: number }).transactionDepth;
const pendingOf = (runner: QueryRunner) => runner.data[PENDING] as Pending[] | undefined;

/**
 * Runs `run` once the transaction `manager` belongs to has committed, and never if
 * it (or the savepoint it was recorded in) rolls back; at once outside a
 * transaction. Services count business events where they happen, inside their
 * transaction, and a rolled-back request counts nothing.
 */
export function afterCommit(manager: EntityManager | undefined, run: () => void): void {
  const runner = manager?.queryRunner;
  if (!runner?.isTransactionActive) {
    run();
    return;
  }
  const pending = pendingOf(runner) ?? [];
  pending.push({ depth: depthOf(runner), run });
  runner.data[PENDING] = pending;
}

/** A TypeORM subscriber that flushes or drops what afterCommit queued. */
export class AfterCommitSubscriber implements EntitySubscriberInterface {
  afterTransactionCommit({ queryRunner }: { queryRunner: QueryRunner }): void {
    const pending = pendingOf(queryRunner);
    if (!pending) return;
    const depth = depthOf(queryRunner);
    if (depth > 0) {
      // A savepoint was released: its events now stand or fall with the enclosing level.
      for (const p of pending) p.depth = Math.min(p.depth, depth);
      return;
    }
    delete queryRunner.data[PENDING];
    for (const p of pending) p.run();
  }

  afterTransactionRollback({ queryRunner }: { queryRunner: QueryRunner }): void {
    const pending = pendingOf(queryRunner);
    if (!pending) return;
    const depth = depthOf(queryRunner);
    const kept = pending.filter((p) => p.depth <= depth);
    if (kept.length && depth > 0) queryRunner.data[PENDING] = kept;
    else delete queryRunner.data[PENDING];
  }
}
