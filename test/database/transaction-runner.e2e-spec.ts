import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { sql } from '../../src/database/sql.js';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Which transaction a line runs in: its id, and a setting local to it (a savepoint's rollback undoes it). */
const txid = async (m: EntityManager) => (await sql<{ id: string }>(m, 'SELECT txid_current()::text AS id'))[0]!.id;
const mark = (m: EntityManager, v: string) => sql(m, `SELECT set_config('test.mark', $1, true)`, [v]);
const markOf = async (m: EntityManager) =>
  (await sql<{ v: string | null }>(m, `SELECT current_setting('test.mark', true) AS v`))[0]!.v;

describe('TransactionRunner', () => {
  let t: TestApp;
  let tx: TransactionRunner;

  beforeAll(async () => {
    t = await startTestApp();
    tx = t.app.get(TransactionRunner);
  });
  afterAll(() => t.close());

  it('run: a transaction of its own outside an Idempotency-Key request', async () => {
    const [a, b] = await Promise.all([tx.run(txid), tx.run(txid)]);
    expect(a).not.toBe(b);
    expect(TransactionRunner.inTransaction()).toBe(false);
  });

  it('run within a request transaction: a savepoint of it, rolled back alone when it throws', async () => {
    await tx.runOwn(async (request) => {
      await mark(request, 'request');
      await TransactionRunner.within(request, async () => {
        expect(TransactionRunner.inTransaction()).toBe(true);
        expect(await tx.run(txid)).toBe(await txid(request));
        const failing = tx.run(async (m) => {
          await mark(m, 'savepoint');
          throw new Error('boom');
        });
        await expect(failing).rejects.toThrow('boom');
      });
      expect(await markOf(request)).toBe('request');
    });
  });

  it('runOwn within a request transaction: its own, and the run inside it do not join the request', async () => {
    await tx.runOwn(async (request) => {
      const outer = await txid(request);
      await TransactionRunner.within(request, async () => {
        await tx.runOwn(async (own) => {
          expect(TransactionRunner.inTransaction()).toBe(false);
          expect(await txid(own)).not.toBe(outer);
          expect(await tx.run(txid)).not.toBe(outer);
        });
      });
    });
  });
});
