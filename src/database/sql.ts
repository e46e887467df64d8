import type { EntityManager } from 'typeorm';

/**
 * Runs one statement on the transaction's connection and returns its rows,
 * whatever the command (TypeORM shapes UPDATE results differently from SELECT).
 */
export async function sql<T>(manager: EntityManager, text: string, params: unknown[] = []): Promise<T[]> {
  if (!manager.queryRunner) {
    return manager.query(text, params) as Promise<T[]>;
  }
  const result = await manager.queryRunner.query(text, params, true);
  return (result.records ?? []) as T[];
}
