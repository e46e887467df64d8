import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import pg from 'pg';
import { testLog } from '../../support/test-logs.js';
import { freePort, onDatabase, withDatabase } from '../../support/util.js';

export const ROOT = resolve(import.meta.dirname, '../../..');
export const MAIN = resolve(ROOT, 'dist/src/main.js');

export interface Output {
  stdout: string;
  stderr: string;
  code: number | null;
}

/** Runs a built script to completion (with a deadline) and returns what it printed. */
export function run(
  args: string[],
  env: Record<string, string | undefined>,
  options: { cwd?: string; timeoutMs?: number } = {},
): Promise<Output> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, args, {
      cwd: options.cwd ?? ROOT,
      env: env as NodeJS.ProcessEnv,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const log = testLog('[node]');
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      log(d.toString());
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      log(d.toString());
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error(`${args.join(' ')} did not finish in time.\nstdout: ${stdout}\nstderr: ${stderr}`));
    }, options.timeoutMs ?? 30_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ stdout, stderr, code });
    });
  });
}

/** The built server (dist/src/main.js) as a child process, as it runs in production. */
export interface ServerProcess {
  url: string;
  child: ChildProcess;
  /** Everything printed on stdout so far, by line. */
  lines(): string[];
  stderr(): string;
  /** Resolves with the first stdout line `match` accepts (polling). */
  waitForLine(match: (line: string) => boolean, timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
}

/** Environment for a child server on the test database: quiet, no cron, no bootstrap tenant. */
export function serverEnv(
  port: number,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATABASE_URL: process.env.DATABASE_URL,
    // CI's PgBouncer pass: the pooler in DATABASE_URL, migrations past it.
    DB_POOL_MODE: process.env.DB_POOL_MODE,
    MIGRATIONS_DATABASE_URL: process.env.MIGRATIONS_DATABASE_URL,
    PORT: String(port),
    NODE_ENV: 'production',
    LOG_PRETTY: 'false',
    ENABLE_CRON: 'false',
    BOOTSTRAP_DEFAULT_TENANT: 'false',
    ...extra,
  };
}

/** `cwd`: another checkout to run (its dist/src/main.js); an `extra` of undefined removes the variable. */
export async function startServer(
  extra: Record<string, string | undefined> = {},
  options: { cwd?: string; startupTimeoutMs?: number } = {},
): Promise<ServerProcess> {
  if (!process.env.DATABASE_URL) throw new Error('DATABASE_URL is not set: run through jest (global setup)');
  const port = await freePort();
  const cwd = options.cwd ?? ROOT;
  const child = spawn(process.execPath, [resolve(cwd, 'dist/src/main.js')], {
    cwd,
    env: serverEnv(port, extra) as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const log = testLog(`[server :${port}]`);
  child.stdout!.on('data', (d: Buffer) => {
    stdout += d.toString();
    log(d.toString());
  });
  child.stderr!.on('data', (d: Buffer) => {
    stderr += d.toString();
    log(d.toString());
  });
  const lines = () => stdout.split('\n').filter((l) => l.trim() !== '');
  const waitForLine = async (match: (line: string) => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines().find(match);
      if (found) return found;
      if (child.exitCode !== null)
        throw new Error(`server exited with ${child.exitCode}\nstdout: ${stdout}\nstderr: ${stderr}`);
      if (Date.now() > deadline)
        throw new Error(`no such line within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const server: ServerProcess = {
    url: `http://127.0.0.1:${port}`,
    child,
    lines,
    stderr: () => stderr,
    waitForLine,
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
  try {
    await waitForLine((l) => l.includes('"Listening on'), options.startupTimeoutMs);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}

/**
 * A database of its own on the tests' PostgreSQL (the server started on it migrates it), for a server
 * whose cron or relay works on every tenant and must leave other test files' rows alone.
 */
export async function scratchDatabase(
  prefix: string,
): Promise<{ url: string; env: ReturnType<typeof onDatabase>; drop(): Promise<void> }> {
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const admin = async (statement: string) => {
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  await admin(`CREATE DATABASE ${name}`);
  return {
    url: withDatabase(process.env.DATABASE_URL!, name),
    // the app's settings for it: through the run's pooler, if any, and migrated past it
    env: onDatabase(name),
    drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}
