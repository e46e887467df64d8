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
 * Runs data-modifying parts as one statement (`WITH a AS (…), b AS (…) SELECT 1`):
 * one round trip instead of one per part, and nothing else to wait for while row
 * locks are held. Each part's $n are renumbered after the parts before it; the
 * part names become CTE names, so they must not be the name of a table a part
 * reads. All parts see the snapshot taken at the start of the statement, so they
 * must not depend on each other's changes, and two parts must never change the
 * same row (only one of the changes would take effect); constraints (CHECKs,
 * foreign keys between the rows the parts insert) are checked as for any statement.
 */
export async function sqlParts(manager: EntityManager, parts: Record<string, SqlPart>): Promise<void> {
  const { text, params } = combineParts(parts);
  await sql(manager, text, params);
}

/** The statement sqlParts runs. */
export function combineParts(parts: Record<string, SqlPart>): SqlPart {
  const params: unknown[] = [];
  const ctes = Object.entries(parts).map(([name, part]) => {
    const offset = params.length;
    params.push(...part.params);
    return `${name} AS (${part.text.replace(/\$(\d+)/g, (_, n: string) => `$${Number(n) + offset}`)})`;
  });
  return { text: `WITH ${ctes.join(',\n')}\nSELECT 1`, params };
}
