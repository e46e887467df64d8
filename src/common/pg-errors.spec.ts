import { describe, expect, it } from '@jest/globals';
import { QueryFailedError, QueryRunnerAlreadyReleasedError, QueryRunnerProviderAlreadyReleasedError } from 'typeorm';
import { isDatabaseUnavailable, isRetryable, PgCode } from './pg-errors.js';

const driverError = (code: string) => Object.assign(new Error(`pg error ${code}`), { code });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a statement on a released query runner', new QueryRunnerAlreadyReleasedError()],
    ['a savepoint on a released query runner', new QueryRunnerProviderAlreadyReleasedError()],
    ['PostgreSQL shutting down', new QueryFailedError('SELECT 1', [], driverError(PgCode.adminShutdown))],
    ['a lock wait that timed out', new QueryFailedError('SELECT 1', [], driverError(PgCode.lockNotAvailable))],
    ['a deadlock PostgreSQL broke', new QueryFailedError('SELECT 1', [], driverError(PgCode.deadlockDetected))],
    ['a serialization failure', new QueryFailedError('SELECT 1', [], driverError(PgCode.serializationFailure))],
    ['a refused connection', driverError('ECONNREFUSED')],
    ['a connection cut mid-query', new Error('Connection terminated unexpectedly')],
  ])('%s is the database being unavailable (503)', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(true);
  });

  it.each([
    ['a unique violation', new QueryFailedError('INSERT', [], driverError(PgCode.uniqueViolation))],
    ['a check violation', new QueryFailedError('UPDATE', [], driverError(PgCode.checkViolation))],
    ['a plain bug', new TypeError('x is undefined')],
  ])('%s is not', (_name, err) => {
    expect(isDatabaseUnavailable(err)).toBe(false);
  });
});

describe('isRetryable', () => {
  it('is true for a deadlock and a serialization failure, false for a lock timeout or a bug', () => {
    const failed = (code: string) => new QueryFailedError('SELECT 1', [], driverError(code));
    expect(isRetryable(failed(PgCode.deadlockDetected))).toBe(true);
    expect(isRetryable(failed(PgCode.serializationFailure))).toBe(true);
    expect(isRetryable(failed(PgCode.lockNotAvailable))).toBe(false);
    expect(isRetryable(new TypeError('x is undefined'))).toBe(false);
  });
});
