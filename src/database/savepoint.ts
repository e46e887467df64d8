import type { EntityManager } from 'typeorm';

/**
 * Runs `work` in a savepoint of `manager`'s transaction, written out through the
 * query runner (SAVEPOINT, then RELEASE or ROLLBACK TO), so that whatever the
 * transaction counts after commit (metrics, logs) follows the savepoint too.
 * The savepoint is kept when `work` says so and rolled back when it does not or
 * when it throws (the transaction then fails, but its depth stays right, so the
 * connection goes back to the pool with no transaction open).
 */
export async function inSavepoint<T>(
  manager: EntityManager,
  work: () => Promise<{ keep: boolean; result: T }>,
): Promise<T> {
  const runner = manager.queryRunner;
  if (!runner?.isTransactionActive) throw new Error('inSavepoint needs a transaction');
  await runner.startTransaction();
  let outcome: { keep: boolean; result: T };
  try {
    outcome = await work();
  } catch (err) {
    await runner.rollbackTransaction().catch(() => undefined);
    throw err;
  }
  if (outcome.keep) await runner.commitTransaction();
  else await runner.rollbackTransaction();
  return outcome.result;
}
