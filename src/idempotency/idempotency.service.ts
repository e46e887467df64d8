import { Injectable } from '@nestjs/common';
import { DataSource, type QueryRunner } from 'typeorm';
import { Env } from '../config/env.js';
import { DomainError, IdempotencyKeyInUseError, IdempotencyKeyReusedError } from '../common/errors.js';
import { isPgError, PgCode } from '../common/pg-errors.js';
import { toErrorResponse } from '../common/error-response.js';
import { TransactionRunner } from '../database/transaction-runner.js';

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type IdempotentOutcome = { replay: StoredResponse } | { body: unknown };

/** How long a retry waits for the first request's claim before it answers 409. */
const CLAIM_WAIT_MS = 100;

/**
 * Stripe-style idempotency keys. The request runs inside one transaction that
 * first claims (tenant, key), then performs the request, then stores its
 * response: the effect and the stored response commit together or not at all.
 * So a retry after a crash either replays the response or performs the request
 * for the first time, never twice.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly env: Env,
  ) {}

  async execute(
    scope: { tenantId: string; key: string; fingerprint: Buffer; requestId: string; status: number },
    handle: () => Promise<unknown>,
  ): Promise<IdempotentOutcome> {
    const runner = this.dataSource.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      const claimed = await this.claim(runner, scope.tenantId, scope.key, scope.fingerprint);
      if (!claimed) {
        const stored = await this.stored(runner, scope.tenantId, scope.key, scope.fingerprint);
        await runner.rollbackTransaction();
        return { replay: stored };
      }
      let body: unknown;
      try {
        body = await TransactionRunner.within(runner.manager, handle);
      } catch (err) {
        // A domain answer (4xx) of a request that ran is stored and replayed like a
        // success; invalid input, conflicts and server errors store nothing.
        if (!(err instanceof DomainError) || err.status >= 500 || err.code === 'validation_failed') throw err;
        const { status, body: errorBody } = toErrorResponse(err, scope.requestId);
        await this.complete(runner, scope, status, errorBody);
        await runner.commitTransaction();
        throw err;
      }
      await this.complete(runner, scope, scope.status, body ?? null);
      await runner.commitTransaction();
      return { body };
    } finally {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      await runner.release();
    }
  }

  /** Deletes keys older than IDEMPOTENCY_TTL_HOURS; returns how many. */
  async purgeExpired(): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown, number]>(
      `DELETE FROM idempotency_key WHERE created_at < now() - make_interval(hours => $1)`,
      [this.env.IDEMPOTENCY_TTL_HOURS],
    );
    return count;
  }

  /** Inserts the key; false when it already exists (committed). Waits briefly on an in-flight twin, then 409. */
  private async claim(runner: QueryRunner, tenantId: string, key: string, fingerprint: Buffer): Promise<boolean> {
    await runner.query(`SET LOCAL lock_timeout = ${CLAIM_WAIT_MS}`);
    try {
      const rows = await runner.query(
        `INSERT INTO idempotency_key (tenant_id, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, key) DO NOTHING RETURNING 1`,
        [tenantId, key, fingerprint],
      );
      return rows.length === 1;
    } catch (err) {
      if (isPgError(err, PgCode.lockNotAvailable)) throw new IdempotencyKeyInUseError();
      throw err;
    } finally {
      if (runner.isTransactionActive) {
        await runner.query(`SET LOCAL lock_timeout = ${this.env.DB_LOCK_TIMEOUT_MS}`).catch(() => undefined);
      }
    }
  }

  private async stored(runner: QueryRunner, tenantId: string, key: string, fingerprint: Buffer): Promise<StoredResponse> {
    const [row] = await runner.query(
      `SELECT request_hash, response_status, response_body FROM idempotency_key WHERE tenant_id = $1 AND key = $2`,
      [tenantId, key],
    );
    if (!row || !(row.request_hash as Buffer).equals(fingerprint)) throw new IdempotencyKeyReusedError();
    return { status: row.response_status, body: row.response_body };
  }

  private async complete(
    runner: QueryRunner,
    scope: { tenantId: string; key: string },
    status: number,
    body: unknown,
  ): Promise<void> {
    await runner.query(
      `UPDATE idempotency_key SET response_status = $3, response_body = $4 WHERE tenant_id = $1 AND key = $2`,
      [scope.tenantId, scope.key, status, JSON.stringify(body)],
    );
  }
}
