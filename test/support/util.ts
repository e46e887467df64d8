import { createServer } from 'node:net';

// Small helpers with no application and no database behind them, so that the
// suites which start servers of their own (test/ops, test/faults) can share them
// without loading the app.

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Resolves once `check` answers true (looked at every 20 ms); fails after `timeoutMs`. */
export async function until(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`until: not true after ${timeoutMs} ms`);
    await sleep(20);
  }
}

/** A small deterministic PRNG (mulberry32), so that a random run can be replayed from its printed seed. */
export function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let x = Math.imul(s ^ (s >>> 15), 1 | s);
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() =>
        address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

/** `url` (a PostgreSQL URL) naming the database `name` instead. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/**
 * The run's database on the PostgreSQL server itself, past any pooler: for sessions that
 * must be sessions (migrations, scratch databases built with the service's options). In
 * CI's PgBouncer pass that is MIGRATIONS_DATABASE_URL; otherwise DATABASE_URL.
 */
export function directDatabaseUrl(): string {
  const url = process.env.MIGRATIONS_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run the tests through jest (global setup)');
  return url;
}

/** The database `name` on the run's server, as app settings: through the run's pooler, if any, and migrated past it. */
export function onDatabase(name: string): { DATABASE_URL: string; MIGRATIONS_DATABASE_URL: string | undefined } {
  const migrations = process.env.MIGRATIONS_DATABASE_URL;
  return {
    DATABASE_URL: withDatabase(process.env.DATABASE_URL!, name),
    MIGRATIONS_DATABASE_URL: migrations && withDatabase(migrations, name),
  };
}
