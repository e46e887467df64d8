import type { DataSourceOptions } from 'typeorm';
import { MIGRATIONS } from './migrations/index.js';

export interface PoolSettings {
  poolSize: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
}

export const DEFAULT_POOL_SETTINGS: PoolSettings = { poolSize: 10, lockTimeoutMs: 5000, statementTimeoutMs: 15000 };

/** The one set of TypeORM options, shared by the app, the migration script and ormconfig.ts. */
export function dataSourceOptions(url: string, settings: PoolSettings = DEFAULT_POOL_SETTINGS): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    migrations: MIGRATIONS,
    migrationsTableName: 'typeorm_migrations',
    synchronize: false,
    logging: false,
    applicationName: 'inventory-service',
    poolSize: settings.poolSize,
    extra: {
      // Bounded waits: a request never holds a connection or waits on a lock forever.
      lock_timeout: settings.lockTimeoutMs,
      statement_timeout: settings.statementTimeoutMs,
      idle_in_transaction_session_timeout: 60_000,
      connectionTimeoutMillis: 5_000,
    },
  };
}
