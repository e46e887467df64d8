import { QueryFailedError, QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';

/** SQLSTATE codes this service reacts to (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const PgCode = {
  uniqueViolation: '23505',
  checkViolation: '23514',
  numericOutOfRange: '22003',
  foreignKeyViolation: '23503',
  lockNotAvailable: '55P03',
  queryCanceled: '57014',
  adminShutdown: '57P01',
  crashShutdown: '57P02',
  cannotConnectNow: '57P03',
  tooManyConnections: '53300',
  deadlockDetected: '40P01',
  serializationFailure: '40001',
} as const;

export interface PgErrorInfo {
  code?: string;
  constraint?: string;
}

/** The driver error behind a TypeORM QueryFailedError (or the error itself). */
export function pgError(err: unknown): PgErrorInfo | undefined {
  const source: unknown = err instanceof QueryFailedError ? err.driverError : err;
  if (source && typeof source === 'object' && 'code' in source) {
    return source as PgErrorInfo;
  }
  return undefined;
}

export function isPgError(err: unknown, code: string, constraint?: string): boolean {
  const info = pgError(err);
  return info?.code === code && (constraint === undefined || info.constraint === constraint);
}

/**
 * PostgreSQL rolled the transaction back to break a deadlock or a serialization
 * conflict: nothing of it happened, and running it again is expected to work.
 */
export function isRetryable(err: unknown): boolean {
  const code = pgError(err)?.code;
  return code === PgCode.deadlockDetected || code === PgCode.serializationFailure;
}

/** A row lock was not granted within lock_timeout. */
export const isLockTimeout = (err: unknown): boolean => isPgError(err, PgCode.lockNotAvailable);

const UNAVAILABLE_CODES = new Set<string>([
  PgCode.lockNotAvailable,
  // Where a transaction that PostgreSQL rolled back is not run again, the caller may retry it.
  PgCode.deadlockDetected,
  PgCode.serializationFailure,
  PgCode.queryCanceled,
  PgCode.adminShutdown,
  PgCode.crashShutdown,
  PgCode.cannotConnectNow,
  PgCode.tooManyConnections,
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
]);

const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Connection terminated unexpectedly',
];

/** True when the database could not serve the request in time: a 503, not a bug. */
export function isDatabaseUnavailable(err: unknown): boolean {
  // TypeORM releases a query runner whose connection failed (PostgreSQL shutting
  // down or gone mid-transaction); the transaction's next statement then throws
  // the first, and a savepoint opened on it (manager.transaction) the second.
  if (err instanceof QueryRunnerAlreadyReleasedError || err instanceof QueryRunnerProviderAlreadyReleasedError)
    return true;
  const info = pgError(err);
  if (info?.code && UNAVAILABLE_CODES.has(info.code)) return true;
  const message = err instanceof Error ? err.message : '';
  return UNAVAILABLE_MESSAGES.some((m) => message.includes(m));
}
