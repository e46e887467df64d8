import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { Env } from '../config/env.js';
import { dataSourceOptions, type PoolSettings } from './data-source-options.js';
import { DatabaseHandle, startEmbeddedPostgres } from './embedded-postgres.js';

/** DATABASE_URL when set, otherwise the embedded server under EMBEDDED_PG_DIR. */
export async function openDatabase(env: Env): Promise<DatabaseHandle> {
  if (env.DATABASE_URL) {
    return { url: env.DATABASE_URL, kind: 'external', close: async () => undefined };
  }
  return startEmbeddedPostgres({ dir: env.EMBEDDED_PG_DIR, port: env.EMBEDDED_PG_PORT });
}

/** The start-up line that says which PostgreSQL the service uses. */
export function logDatabase(log: Logger, database: DatabaseHandle, env: Env): void {
  if (database.kind === 'embedded') {
    // As root the data may live elsewhere than EMBEDDED_PG_DIR (see root-placement.ts): say where it is.
    const dataDir = database.dataDir ?? env.EMBEDDED_PG_DIR;
    log.info(
      { database: 'embedded', data_dir: dataDir, port: env.EMBEDDED_PG_PORT },
      `Embedded PostgreSQL on 127.0.0.1:${env.EMBEDDED_PG_PORT}, data in ${dataDir}`,
    );
  } else {
    const url = new URL(database.url);
    log.info(
      { database: 'external', host: url.host, name: url.pathname.slice(1) },
      `External PostgreSQL at ${url.host}${url.pathname} (DATABASE_URL)`,
    );
  }
}

// Any constant will do: it only has to be the same for every instance of the service.
const MIGRATION_LOCK_KEY = 727_274_001;

/**
 * Applies pending migrations, serialized by an advisory lock so that several
 * instances starting together do not race each other. Returns the names applied.
 * The lock is the session's, held across the migrations' transactions: `dataSource`
 * must reach PostgreSQL directly (or through a session-pooling PgBouncer), never
 * through transaction pooling, where the lock would stay behind in whichever server
 * session ran it (see MIGRATIONS_DATABASE_URL).
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

/**
 * A small DataSource of direct sessions on `url`, for `work` (migrations on
 * MIGRATIONS_DATABASE_URL): two, the lock's session and the one TypeORM migrates on.
 */
export async function withDirectSessions<T>(
  url: string,
  settings: PoolSettings,
  work: (dataSource: DataSource) => Promise<T>,
): Promise<T> {
  const dataSource = new DataSource(dataSourceOptions(url, { ...settings, poolSize: 2, poolMode: 'session' }));
  await dataSource.initialize();
  try {
    return await work(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
