import type { NestExpressApplication } from '@nestjs/platform-express';
import { SchedulerRegistry } from '@nestjs/schedule';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import type { Env } from '../config/env.js';
import { type DatabaseHandle, takeOverShutdownSignals } from '../database/embedded-postgres.js';
import type { Tracing } from '../tracing/tracing.js';
import { HttpDrain } from './http-drain.js';
import { ShutdownState } from './shutdown-state.js';

/** How long the pool must have had no connection checked out to count as drained. */
const POOL_QUIET_MS = 100;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

/**
 * SIGTERM and SIGINT stop the instance without failing a request:
 *
 * 1. At once: /health/ready answers 503, and the cron jobs stop (no new sweep
 *    starts on an instance that is leaving; another instance sweeps).
 * 2. For SHUTDOWN_DELAY_MS, everything else is served as usual: a load balancer
 *    needs a few probe periods to notice, and keeps sending until then.
 * 3. The HTTP server drains (http-drain.ts): no new connections, every request
 *    that reached it answered, idle connections closed.
 * 4. Only then the database: once the pool has been quiet for POOL_QUIET_MS (a
 *    sweep that was running, or the handler of a client that hung up, finishes
 *    its transaction), `app.close()` runs Nest's hooks and closes the pool, and
 *    the embedded server stops. Nest's own `app.close()` would close the HTTP
 *    server after its destroy hooks, with Node's `server.close()`, which resets
 *    keep-alive requests not read yet.
 * 5. Last, the spans not exported yet are flushed (when tracing is on).
 *
 * All of it within SHUTDOWN_TIMEOUT_MS of the signal; past that, connections
 * still open are cut and the process exits 1, with a log line saying what was left.
 */
export function handleShutdownSignals(
  app: NestExpressApplication,
  database: DatabaseHandle,
  env: Env,
  log: Logger,
  tracing?: Tracing,
): void {
  // Installed before listening, so that every request is tracked.
  const http = new HttpDrain(app.getHttpServer());
  let started = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (started) {
      log.warn(`${signal}: already shutting down`);
      return;
    }
    started = true;
    void shutDown(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  takeOverShutdownSignals();

  async function shutDown(signal: NodeJS.Signals): Promise<void> {
    const since = performance.now();
    const elapsed = () => Math.round(performance.now() - since);
    const deadline = setTimeout(() => {
      void (async () => {
        const connections = await http.connections();
        log.error(
          { connections, requests_in_flight: http.requestsInFlight, elapsed_ms: elapsed() },
          `Shutdown did not finish within SHUTDOWN_TIMEOUT_MS=${env.SHUTDOWN_TIMEOUT_MS}: closing ${connections} connection(s), ${http.requestsInFlight} request(s) unanswered; exiting with code 1`,
        );
        http.forceClose();
        process.exit(1);
      })();
    }, env.SHUTDOWN_TIMEOUT_MS);

    try {
      app.get(ShutdownState).begin();
      stopCronJobs(app.get(SchedulerRegistry));
      log.info(
        { signal, delay_ms: env.SHUTDOWN_DELAY_MS },
        `${signal}: not ready any more; serving for SHUTDOWN_DELAY_MS=${env.SHUTDOWN_DELAY_MS} ms, then draining`,
      );
      await sleep(env.SHUTDOWN_DELAY_MS);

      const connections = await http.connections();
      log.info(
        { requests_in_flight: http.requestsInFlight, connections },
        `Draining: no new connections; ${http.requestsInFlight} request(s) in flight on ${connections} connection(s)`,
      );
      await http.drain();
      await poolQuiet(app.get(DataSource));
      await app.close();
      await database.close();
      await tracing?.shutdown();
      clearTimeout(deadline);
      log.info({ elapsed_ms: elapsed() }, `Shut down in ${elapsed()} ms`);
      process.exit(0);
    } catch (err) {
      log.error({ err }, `Shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    }
  }
}

function stopCronJobs(scheduler: SchedulerRegistry): void {
  for (const job of scheduler.getCronJobs().values()) void job.stop();
}

/** Resolves once no connection has been checked out of the pool, nor waited for, for POOL_QUIET_MS. */
async function poolQuiet(dataSource: DataSource): Promise<void> {
  const pool = (dataSource.driver as unknown as { master?: PgPool }).master;
  if (!pool) return;
  let quietSince = performance.now();
  while (performance.now() - quietSince < POOL_QUIET_MS) {
    await sleep(10);
    if (pool.totalCount - pool.idleCount > 0 || pool.waitingCount > 0) quietSince = performance.now();
  }
}
