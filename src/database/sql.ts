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

/** A statement with its own parameters ($1…$n), to run alone or as one part of a larger statement. */
export interface SqlPart {
  text: string;
  params: unknown[];
}

/**
 * Data-modifying parts as one statement (`WITH a AS (…), b AS (…) SELECT 1`, or another `final` query), in
 * order: each part's $n are renumbered after the parts before it. UnitOfWork is
 * what builds and runs it, with the rules a combined statement needs.
 */
export function combineParts(parts: [string, SqlPart][], final = 'SELECT 1'): SqlPart {
  const params: unknown[] = [];
  const ctes = parts.map(([name, part]) => {
    const offset = params.length;
    params.push(...part.params);
    return `${name} AS (${part.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
  });
  return { text: `WITH ${ctes.join(',\n')}\n${final}`, params };
}
