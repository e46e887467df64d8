import type { DataSourceOptions } from 'typeorm';
import type { DbPoolMode, Env } from '../config/env.js';
import { MIGRATIONS } from './migrations/index.js';

export interface PoolSettings {
  poolSize: number;
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  /** `transaction`: behind a transaction-pooling PgBouncer (see DB_POOL_MODE). */
  poolMode: DbPoolMode;
}

export const DEFAULT_POOL_SETTINGS: PoolSettings = {
  poolSize: 10,
  lockTimeoutMs: 5000,
  statementTimeoutMs: 15000,
  poolMode: 'session',
};

const IDLE_IN_TRANSACTION_TIMEOUT_MS = 60_000;

/** The pool settings the environment asks for. */
export function poolSettings(env: Env): PoolSettings {
  return {
    poolSize: env.DB_POOL_SIZE,
    lockTimeoutMs: env.DB_LOCK_TIMEOUT_MS,
    statementTimeoutMs: env.DB_STATEMENT_TIMEOUT_MS,
    poolMode: env.DB_POOL_MODE,
  };
}

/**
 * The timeouts every transaction of the service runs under. Bounded waits: a
 * request never holds a connection or waits on a lock forever.
 */
function timeouts(settings: PoolSettings) {
  return {
    lock_timeout: settings.lockTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
  };
}

/**
 * What a transaction runs first, or undefined when there is nothing to run. Behind a
 * transaction-pooling PgBouncer a connection's transactions run in whichever server
 * session is free, so settings of the connection cannot exist: each transaction sets
 * the timeouts for itself, SET LOCAL, and they end with it (a SET would stay in the
 * server session for the next client). In session mode they are the connection's.
 */
export function transactionPreamble(settings: PoolSettings): string | undefined {
  if (settings.poolMode !== 'transaction') return undefined;
  return Object.entries(timeouts(settings))
    .map(([name, ms]) => `SET LOCAL ${name} = ${ms}`)
    .join('; ');
}

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
      // Sent as startup parameters, the session's own settings. PgBouncer refuses startup
      // parameters it cannot keep per client: in transaction mode none are sent.
      ...(settings.poolMode === 'session' ? timeouts(settings) : {}),
      connectionTimeoutMillis: 5_000,
    },
  };
}
