import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { TransactionRunner } from '../../src/database/transaction-runner.js';
import { lockForReservation } from '../../src/inventory/stock.repository.js';
import { adminAuth, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { lapse, reserveOk, sweep } from '../support/reservations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { sleep, withDatabase } from '../support/util.js';

// The service behind PgBouncer in transaction pooling mode, where one client's
// consecutive transactions run in whichever server session is free: anything a
// transaction leaves in its session (a SET, an advisory lock) is met by the next
// client's. PGBOUNCER_URL names the pooler (transaction mode, its console open to
// the user: SHOW SERVERS), MIGRATIONS_DATABASE_URL the server behind it. Without
// them this file is skipped, saying so; REQUIRE_PGBOUNCER=1 (CI) makes that a failure.
const POOLER = process.env.PGBOUNCER_URL;
const DIRECT = process.env.MIGRATIONS_DATABASE_URL;
const runs = Boolean(POOLER && DIRECT) || process.env.REQUIRE_PGBOUNCER === '1';
if (!runs)
  process.stderr.write(
    'test/database/pgbouncer skipped: set PGBOUNCER_URL (a transaction-pooling PgBouncer, .ci/pgbouncer/start) ' +
      'and MIGRATIONS_DATABASE_URL (its server); REQUIRE_PGBOUNCER=1 makes this a failure\n',
  );

// What a server session that nobody changed answers (set on the database below), and what
// the service's transactions run with: all different, so that a leak of either shows.
const SERVER_DEFAULTS = { lock_timeout: '7001ms', statement_timeout: '7002ms', idle: '7003ms' };
const SERVICE = { lock_timeout: '4321ms', statement_timeout: '12345ms', idle: '1min' };
const SETTINGS = `SELECT current_setting('lock_timeout') AS lock_timeout,
  current_setting('statement_timeout') AS statement_timeout,
  current_setting('idle_in_transaction_session_timeout') AS idle, pg_backend_pid() AS pid`;
type Settings = { lock_timeout: string; statement_timeout: string; idle: string; pid: number };

(runs ? describe : describe.skip)('behind PgBouncer in transaction pooling mode', () => {
  const name = `inventory_pgbouncer_${randomBytes(4).toString('hex')}`;
  const pooled = () => withDatabase(POOLER!, name);
  let admin: pg.Client;
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    if (!POOLER || !DIRECT)
      throw new Error('REQUIRE_PGBOUNCER=1 but PGBOUNCER_URL or MIGRATIONS_DATABASE_URL is unset');
    admin = new pg.Client({ connectionString: DIRECT });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.query(
      `ALTER DATABASE ${name} SET lock_timeout = '${SERVER_DEFAULTS.lock_timeout}';
       ALTER DATABASE ${name} SET statement_timeout = '${SERVER_DEFAULTS.statement_timeout}';
       ALTER DATABASE ${name} SET idle_in_transaction_session_timeout = '${SERVER_DEFAULTS.idle}'`,
    );
    t = await startTestApp({
      DATABASE_URL: pooled(),
      MIGRATIONS_DATABASE_URL: withDatabase(DIRECT, name),
      DB_POOL_MODE: 'transaction',
      DB_POOL_SIZE: '4',
      DB_LOCK_TIMEOUT_MS: '4321',
      DB_STATEMENT_TIMEOUT_MS: '12345',
    });
    tenant = await newTenant(t);
  });
  afterAll(async () => {
    await t?.close();
    await admin?.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin?.end();
  });

  it('runs its transactions with its own timeouts, and sets none on the server sessions', async () => {
    const runner = t.app.get(TransactionRunner);
    const [inTransaction] = await runner.runOwn((m) => m.query<Settings[]>(SETTINGS));
    expect(inTransaction).toMatchObject(SERVICE);
    // A lock wait bounded for a while puts back the transaction's timeouts, not the server session's.
    const item = await newItem(t, tenant, { qty: 1 });
    const [afterLockWait] = await runner.runOwn(async (m) => {
      await lockForReservation(m, tenant.id, [item.id], { lockWaitMs: 50 });
      return m.query<Settings[]>(SETTINGS);
    });
    expect(afterLockWait).toMatchObject(SERVICE);
    // Outside a transaction a statement gets the server's settings: nothing was sent at connect.
    const [outside] = await t.db.query<Settings[]>(SETTINGS);
    expect(outside).toMatchObject(SERVER_DEFAULTS);
  });

  it('leaves nothing behind in any server session: timeouts changed for a while, checks, migrations', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    // A reservation that waits for a row lock bounds its wait with SET LOCAL, then puts the timeouts back.
    const locker = new pg.Client({ connectionString: pooled() });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM stock WHERE item_id = $1 FOR UPDATE', [item.id]);
    const started = Date.now();
    const waiting = reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    await sleep(300);
    await locker.query('ROLLBACK');
    await locker.end();
    const held = await waiting;
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    // An Idempotency-Key request shortens lock_timeout while it claims its key.
    await t.http
      .post('/api/reservations')
      .set({ ...tenant.auth, 'Idempotency-Key': randomUUID() })
      .send({ lines: [{ item_id: item.id, quantity: 1 }] })
      .expect(201);
    await lapse(t, held.id);
    expect(await sweep(t)).toBe(1);
    // The admin ledger check and `npm run verify` lift the statement timeout for their snapshot.
    await t.http.get(`/api/admin/ledger?tenant_id=${tenant.id}`).set(adminAuth).expect(200);
    const verify = await promisify(execFile)(process.execPath, [resolve('dist/src/ledger/verify.js')], {
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: pooled(),
        DB_POOL_MODE: 'transaction',
        MIGRATIONS_DATABASE_URL: withDatabase(DIRECT!, name),
      },
    });
    expect(verify.stdout).toContain('the ledger explains every unit');

    for (const session of await everyServerSession()) expect(session).toMatchObject(SERVER_DEFAULTS);
    // The migrations' advisory lock (taken on the direct connection) is gone with its session.
    const [{ n }] = (
      await admin.query(
        `SELECT count(*)::int AS n FROM pg_locks l JOIN pg_database d ON d.oid = l.database
         WHERE l.locktype = 'advisory' AND d.datname = $1`,
        [name],
      )
    ).rows;
    expect(n).toBe(0);
  });

  it('would see it if something did: a SET of one client is met by the next (the pooling is per transaction)', async () => {
    const leaker = new pg.Client({ connectionString: pooled() });
    await leaker.connect();
    await leaker.query(`SET statement_timeout = '6999ms'`);
    await leaker.end();
    const seen = (await everyServerSession()).map((s) => s.statement_timeout);
    expect(seen).toContain('6999ms');
  });

  /**
   * The settings of every server session PgBouncer holds for the database, each read
   * by a transaction of its own, all open at once so that each gets a session of its
   * own: as many as SHOW SERVERS lists, and checked to have covered every one of them.
   */
  async function everyServerSession(): Promise<Settings[]> {
    const pgbouncer = new pg.Client({ connectionString: withDatabase(POOLER!, 'pgbouncer') });
    await pgbouncer.connect();
    const servers = (await pgbouncer.query<{ database: string; remote_pid: string }>('SHOW SERVERS')).rows.filter(
      (s) => s.database === name,
    );
    await pgbouncer.end();
    const probes = await Promise.all(
      servers.map(async () => {
        const c = new pg.Client({ connectionString: pooled() });
        await c.connect();
        await c.query('BEGIN');
        return c;
      }),
    );
    try {
      const seen = await Promise.all(probes.map(async (c) => (await c.query<Settings>(SETTINGS)).rows[0]!));
      const byPid = (a: number, b: number) => a - b;
      expect(seen.map((s) => s.pid).sort(byPid)).toEqual(servers.map((s) => Number(s.remote_pid)).sort(byPid));
      return seen;
    } finally {
      await Promise.all(probes.map((c) => c.query('ROLLBACK').then(() => c.end())));
    }
  }
});
