import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { Env } from '../config/env.js';
import { DomainError, IdempotencyKeyInUseError, IdempotencyKeyReusedError } from '../common/errors.js';
import { isPgError, PgCode } from '../common/pg-errors.js';
import { toErrorResponse } from '../common/error-response.js';
import { sql } from '../database/sql.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { envelope } from '../common/envelope.interceptor.js';
import { GroupedKey } from './grouped-key.js';
import { isStoredAnswer, type KeyScope, type StoredResponse } from './idempotency-keys.js';

export type IdempotentOutcome = { replay: StoredResponse } | { body: unknown };

/** How long a retry waits for the first request's claim before it answers 409. */
const CLAIM_WAIT_MS = 100;

/**
 * Stripe-style idempotency keys. The request runs inside one transaction that
 * first claims (tenant, key), then performs the request, then stores its
 * response: the effect and the stored response commit together or not at all.
 * So a retry after a crash either replays the response or performs the request
 * for the first time, never twice. That transaction is one of its own
 * (`runOwn`), handed to the handler with `within`: the services' `run` become
 * savepoints of it.
 */
@Injectable()
export class IdempotencyService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly env: Env,
  ) {}

  async execute(scope: KeyScope, handle: () => Promise<unknown>): Promise<IdempotentOutcome> {
    const outcome = await this.tx.runOwn(async (manager): Promise<IdempotentOutcome | { storedError: DomainError }> => {
      if (!(await this.claim(manager, scope.tenantId, scope.key, scope.fingerprint))) {
        // Claimed before: this transaction wrote nothing and only reads the stored response.
        return { replay: await this.stored(manager, scope.tenantId, scope.key, scope.fingerprint) };
      }
      let body: unknown;
      try {
        body = await TransactionRunner.within(manager, handle);
      } catch (err) {
        // A domain answer (4xx) of a request that ran is stored and replayed like a
        // success: it commits, then the caller gets the error. Invalid input,
        // conflicts and server errors store nothing.
        if (!isStoredAnswer(err)) throw err;
        const { status, body: errorBody } = toErrorResponse(err, scope.requestId);
        await this.complete(manager, scope, status, errorBody);
        return { storedError: err };
      }
      await this.complete(manager, scope, scope.status, body ?? null);
      return { body };
    });
    if ('storedError' in outcome) throw outcome.storedError;
    return outcome;
  }

  /**
   * On a route that group-commits (GroupCommittedKeys): the handler's service
   * takes the key and the batch's transaction claims it, performs the request and
   * stores the response together, with the guarantee `execute` gives.
   */
  async executeGrouped(scope: KeyScope, handle: () => Promise<unknown>): Promise<IdempotentOutcome> {
    const { key, result } = await GroupedKey.handle(scope, handle);
    return key.replay ? { replay: key.replay } : { body: result };
  }

  /**
   * A grouped key's request that cannot join a batch: in a transaction of its
   * own, as `execute` runs it. `work` answers the result the envelope then
   * wraps; what is stored is what the client receives, wrapped.
   */
  async alone<T>(key: GroupedKey, work: () => Promise<T>): Promise<unknown> {
    let result: T;
    const outcome = await this.execute(key.scope, async () => envelope(key.scope.requestId, (result = await work())));
    return 'replay' in outcome ? key.replayed(outcome.replay) : result!;
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
  private async claim(manager: EntityManager, tenantId: string, key: string, fingerprint: Buffer): Promise<boolean> {
    await sql(manager, `SET LOCAL lock_timeout = ${CLAIM_WAIT_MS}`);
    try {
      const rows = await sql(
        manager,
        `INSERT INTO idempotency_key (tenant_id, key, request_hash) VALUES ($1, $2, $3)
         ON CONFLICT (tenant_id, key) DO NOTHING RETURNING 1`,
        [tenantId, key, fingerprint],
      );
      return rows.length === 1;
    } catch (err) {
      if (isPgError(err, PgCode.lockNotAvailable)) throw new IdempotencyKeyInUseError();
      throw err;
    } finally {
      if (manager.queryRunner?.isTransactionActive) {
        await sql(manager, `SET LOCAL lock_timeout = ${this.env.DB_LOCK_TIMEOUT_MS}`).catch(() => undefined);
      }
    }
  }

  private async stored(
    manager: EntityManager,
    tenantId: string,
    key: string,
    fingerprint: Buffer,
  ): Promise<StoredResponse> {
    const [row] = await sql<{ request_hash: Buffer; response_status: number; response_body: unknown }>(
      manager,
      `SELECT request_hash, response_status, response_body FROM idempotency_key WHERE tenant_id = $1 AND key = $2`,
      [tenantId, key],
    );
    if (!row || !row.request_hash.equals(fingerprint)) throw new IdempotencyKeyReusedError();
    return { status: row.response_status, body: row.response_body };
  }

  private async complete(
    manager: EntityManager,
    scope: Pick<KeyScope, 'tenantId' | 'key'>,
    status: number,
    body: unknown,
  ): Promise<void> {
    await sql(
      manager,
      `UPDATE idempotency_key SET response_status = $3, response_body = $4 WHERE tenant_id = $1 AND key = $2`,
      [scope.tenantId, scope.key, status, JSON.stringify(body)],
    );
  }
}
