import type { DataSource } from 'typeorm';
import type { Env } from '../config/env.js';
import { DatabaseHandle, startEmbeddedPostgres } from './embedded-postgres.js';

/** DATABASE_URL when set, otherwise the embedded server under EMBEDDED_PG_DIR. */
export async function openDatabase(env: Env): Promise<DatabaseHandle> {
  if (env.DATABASE_URL) {
    return { url: env.DATABASE_URL, kind: 'external', close: async () => undefined };
  }
  return startEmbeddedPostgres({ dir: env.EMBEDDED_PG_DIR, port: env.EMBEDDED_PG_PORT });
}

// Any constant will do: it only has to be the same for every instance of the service.
const MIGRATION_LOCK_KEY = 727_274_001;

/**
 * Applies pending migrations, serialized by an advisory lock so that several
 * instances starting together do not race each other. Returns the names applied.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}
