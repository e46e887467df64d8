import cluster from 'node:cluster';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { validateEnv, workerCount } from './config/env.js';
import { startTracing } from './tracing/tracing.js';

// The entry point: configuration, then tracing, then the application. Tracing
// must be started before the modules it instruments (http, express, pg) are
// first imported, so the application is imported only here, dynamically: a
// static import would be loaded before this module's code runs.
// With WORKERS > 1 this process becomes the cluster's primary (src/cluster/primary.ts),
// and every worker it forks runs this file again, as a single process would.
try {
  // Variables already set win over .env (see .env.example).
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env = validateEnv(process.env);
  const workers = workerCount(env, availableParallelism());
  if (cluster.isPrimary && workers > 1) {
    const { runPrimary } = await import('./cluster/primary.js');
    await runPrimary(env, workers);
  } else {
    const tracing = await startTracing(env);
    const { serve } = await import('./server.js');
    await serve(env, tracing);
  }
} catch (err: unknown) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
