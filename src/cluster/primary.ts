import cluster, { type Worker } from 'node:cluster';
import { performance } from 'node:perf_hooks';
import type { Env } from '../config/env.js';
import { poolSettings } from '../database/data-source-options.js';
import { takeOverShutdownSignals } from '../database/embedded-postgres.js';
import { logDatabase, openDatabase, runMigrations, withDirectSessions } from '../database/open-database.js';
import { createLogger } from '../logging/logger.js';
import { answerMetricsRequests } from '../metrics/cluster-metrics.js';
import { quickDeathsAfter, restartDelayMs } from './restart-policy.js';

/** The primary waits this much longer than a worker's own SHUTDOWN_TIMEOUT_MS before it kills what is left. */
const SHUTDOWN_GRACE_MS = 2_000;

/**
 * WORKERS > 1: this process serves nothing itself. It opens the database (and so
 * owns the embedded PostgreSQL when DATABASE_URL is unset: the workers connect
 * to it), migrates once, then forks `count` workers that run main.ts as a single
 * process would (cluster.isWorker: no migrations, no database of their own) and
 * share PORT (node:cluster hands out the connections round robin).
 *
 * A worker that dies unexpectedly is replaced, after a delay that grows while
 * replacements keep dying young (restart-policy.ts). SIGTERM/SIGINT go to every
 * worker, which drains as a single process does (src/lifecycle); the primary
 * stops the embedded server once all have exited, and exits 0 if they all did.
 */
export async function runPrimary(env: Env, count: number): Promise<void> {
  const log = (await createLogger(env)).child({ context: 'Primary' });
  const database = await openDatabase(env);
  logDatabase(log, database, env);
  try {
    // Before any worker exists: they never race each other over the schema.
    const applied = await withDirectSessions(
      env.MIGRATIONS_DATABASE_URL ?? database.url,
      poolSettings(env),
      runMigrations,
    );
    if (applied.length) log.info({ applied }, `Applied ${applied.join(', ')}`);
  } catch (err) {
    await database.close();
    throw err;
  }

  // The workers reach the primary's database, embedded or not, by its URL.
  const workerEnv = { DATABASE_URL: database.url };
  const forkedAt = new Map<number, number>();
  /** Workers that have listened: one still starting has nothing to drain, and the signal just ends it. */
  const serving = new Set<number>();
  answerMetricsRequests(() => [...serving].flatMap((id) => cluster.workers?.[id] ?? []));
  const restarts = new Set<NodeJS.Timeout>();
  let quickDeaths = 0;
  let stopping = false;
  let failedExits = 0;
  let listening = 0;

  const fork = (): Worker => {
    const worker = cluster.fork(workerEnv);
    forkedAt.set(worker.id, performance.now());
    return worker;
  };

  cluster.on('listening', (worker) => {
    serving.add(worker.id);
    log.debug({ worker: worker.id, pid: worker.process.pid }, 'Worker listening');
    if (++listening === count) {
      const base = `http://localhost:${env.PORT}`;
      log.info(
        { url: `${base}/api`, workers: count, startup_ms: Math.round(performance.now()) },
        `Listening on ${base}/api with ${count} workers — health ${base}/health/ready, metrics ${base}/metrics`,
      );
    }
  });

  cluster.on('exit', (worker, code, signal) => {
    const livedMs = performance.now() - (forkedAt.get(worker.id) ?? performance.now());
    forkedAt.delete(worker.id);
    const served = serving.delete(worker.id);
    const how = signal ? `signal ${signal}` : `code ${code}`;
    if (stopping) {
      if (code !== 0 && (served || !signal)) failedExits++;
      log.info({ worker: worker.id, pid: worker.process.pid, code, signal }, `Worker ${worker.id} exited (${how})`);
      if (forkedAt.size === 0) void finish();
      return;
    }
    // Exit 0 outside a shutdown: that worker alone was sent SIGTERM and drained (a rolling restart), not a crash.
    const drained = code === 0;
    if (!drained) quickDeaths = quickDeathsAfter(quickDeaths, livedMs);
    const delayMs = drained ? 0 : restartDelayMs(quickDeaths);
    log[drained ? 'warn' : 'error'](
      {
        worker: worker.id,
        pid: worker.process.pid,
        code,
        signal,
        lived_ms: Math.round(livedMs),
        restart_in_ms: delayMs,
      },
      `Worker ${worker.id} ${drained ? 'exited' : 'died'} (${how}) after ${Math.round(livedMs)} ms; replacing it in ${delayMs} ms`,
    );
    const timer = setTimeout(() => {
      restarts.delete(timer);
      fork();
    }, delayMs);
    restarts.add(timer);
  });

  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      log.warn(`${signal}: already shutting down`);
      return;
    }
    stopping = true;
    for (const timer of restarts) clearTimeout(timer);
    restarts.clear();
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    log.info({ signal, workers: workers.length }, `${signal}: stopping ${workers.length} worker(s); each drains`);
    // The signal itself, not worker.kill(), which would first disconnect and close the worker's server,
    // cutting short the SHUTDOWN_DELAY_MS during which it still serves.
    for (const worker of workers) worker.process.kill(signal);
    setTimeout(() => {
      log.error(
        { workers: forkedAt.size },
        `${forkedAt.size} worker(s) still running SHUTDOWN_TIMEOUT_MS after ${signal}: killing them; exiting with code 1`,
      );
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
      void database.close().finally(() => process.exit(1));
    }, env.SHUTDOWN_TIMEOUT_MS + SHUTDOWN_GRACE_MS).unref();
    if (forkedAt.size === 0) void finish();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  takeOverShutdownSignals();

  async function finish(): Promise<void> {
    await database.close();
    log.info(
      { failed_workers: failedExits },
      `Shut down: every worker exited${failedExits ? `, ${failedExits} not cleanly` : ''}`,
    );
    process.exit(failedExits ? 1 : 0);
  }

  for (let i = 0; i < count; i++) fork();
}
