import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { testLog } from '../../support/test-logs.js';
import { freePort, sleep, withDatabase } from '../../support/util.js';
import { startEmbeddedPostgres, type DatabaseHandle } from '../../../src/database/embedded-postgres.js';

// The faults suites run the built service (dist/src/main.js) as real child
// processes against a PostgreSQL of their own, and break things: kill -9, two
// instances, the database going away. Everything is bounded in count and time,
// and only 127.0.0.1 is ever addressed.

export const ADMIN_TOKEN = 'faults-admin-token-0123456789';

// ---------------------------------------------------------------------------
// PostgreSQL

export interface ScratchDatabase {
  url: string;
  /** Stops the embedded server (data kept when `persistent`), for outage tests. */
  stop(): Promise<void>;
  /** Starts it again on the same directory and port. */
  start(): Promise<void>;
  /** Stops and removes everything. */
  dispose(): Promise<void>;
  embedded: boolean;
}

/**
 * A PostgreSQL for one scenario: a fresh database on DATABASE_URL's server when set
 * (unless `mustOwn`), otherwise an embedded cluster in the temp directory on a free port.
 */
export async function scratchDatabase(name: string, options: { mustOwn?: boolean } = {}): Promise<ScratchDatabase> {
  const external = process.env.DATABASE_URL;
  if (external && !options.mustOwn) {
    const database = `inventory_faults_${name}_${Date.now()}_${randomBytes(2).toString('hex')}`;
    await withClient(external, (c) => c.query(`CREATE DATABASE ${database}`));
    return {
      url: withDatabase(external, database),
      embedded: false,
      stop: () => Promise.reject(new Error('cannot stop an external PostgreSQL')),
      start: () => Promise.reject(new Error('cannot start an external PostgreSQL')),
      dispose: async () => {
        await withClient(external, (c) => c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`));
      },
    };
  }
  const port = await freePort();
  const dir = join(tmpdir(), `inventory-faults-${name}-${process.pid}-${port}`);
  let handle: DatabaseHandle | undefined = await startEmbeddedPostgres({ dir, port, persistent: true });
  const url = handle.url;
  return {
    url,
    embedded: true,
    stop: async () => {
      await handle?.close();
      handle = undefined;
    },
    start: async () => {
      handle = await startEmbeddedPostgres({ dir, port, persistent: true });
    },
    dispose: async () => {
      await handle?.close().catch(() => undefined);
      handle = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------
// The service

export interface ServiceProcess {
  url: string;
  port: number;
  child: ChildProcess;
  /** The last lines it wrote, for a failure message. */
  output(): string;
  /** Lines logged at level error or above (pino level >= 50). */
  errors(): string[];
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts dist/src/main.js on `port` (a free one by default) and waits until /health/ready answers 200.
 * `databaseUrl` null: no DATABASE_URL, the service starts its embedded PostgreSQL (EMBEDDED_PG_* in `env`).
 */
export async function startService(
  databaseUrl: string | null,
  env: Record<string, string> = {},
  port?: number,
): Promise<ServiceProcess> {
  const listenPort = port ?? (await freePort());
  const lines: string[] = [];
  const errors: string[] = [];
  const { DATABASE_URL: _inherited, ...inherited } = process.env;
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...inherited,
      // No shared cache unless a scenario asks for one (REDIS_URL in `env`).
      REDIS_URL: undefined,
      ...(databaseUrl === null ? {} : { DATABASE_URL: databaseUrl }),
      PORT: String(listenPort),
      NODE_ENV: 'production',
      ADMIN_TOKEN,
      BOOTSTRAP_DEFAULT_TENANT: 'false',
      ENABLE_CRON: 'false',
      RATE_LIMIT_PER_MINUTE: '0',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const log = testLog(`[service :${listenPort}]`);
  const keep = (chunk: Buffer) => {
    log(chunk.toString());
    const fresh = chunk.toString().split('\n').filter(Boolean);
    lines.push(...fresh);
    errors.push(
      ...fresh.filter((l) => /"level":("error"|"fatal"|50|60)|\bERROR\b/.test(l)).slice(0, 100 - errors.length),
    );
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${listenPort}`;
  const service: ServiceProcess = {
    url,
    port: listenPort,
    child,
    output: () => lines.slice(-40).join('\n'),
    errors: () => [...errors],
    kill9: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited with ${child.exitCode}:\n${service.output()}`);
    try {
      const res = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (res.status === 200) return service;
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await service.kill9();
      throw new Error(`service not ready within 60 s:\n${service.output()}`);
    }
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------
// HTTP

export interface Answer {
  status: number; // 0: no response (connection refused or reset, or timed out)
  body: any;
  ms: number;
  error?: string;
}

export async function call(
  base: string,
  method: string,
  path: string,
  key?: string,
  body?: unknown,
  requestId?: string,
  timeoutMs = 15_000,
): Promise<Answer> {
  const started = Date.now();
  try {
    const res = await fetch(`${base}${path}`, {
      method,
      headers: {
        ...(key ? { Authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...(requestId ? { 'X-Request-Id': requestId } : {}),
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = { not_json: text.slice(0, 200) };
    }
    return { status: res.status, body: parsed, ms: Date.now() - started };
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return {
      status: 0,
      body: undefined,
      ms: Date.now() - started,
      error: cause?.code ?? cause?.message ?? String(err),
    };
  }
}

export async function newTenantKey(base: string): Promise<{ id: string; key: string }> {
  const res = await call(base, 'POST', '/api/admin/tenants', ADMIN_TOKEN, {
    name: `faults-${randomBytes(4).toString('hex')}`,
  });
  if (res.status !== 201) throw new Error(`create tenant: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.data.tenant.id, key: res.body.data.api_key.key };
}
