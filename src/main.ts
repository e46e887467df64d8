import { existsSync } from 'node:fs';
import { validateEnv } from './config/env.js';
import { startTracing } from './tracing/tracing.js';

// The entry point: configuration, then tracing, then the application. Tracing
// must be started before the modules it instruments (http, express, pg) are
// first imported, so the application is imported only here, dynamically: a
// static import would be loaded before this module's code runs.
try {
  // Variables already set win over .env (see .env.example).
  if (existsSync('.env')) process.loadEnvFile('.env');
  const env = validateEnv(process.env);
  const tracing = await startTracing(env);
  const { serve } = await import('./server.js');
  await serve(env, tracing);
} catch (err: unknown) {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
}
