import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/app.setup.js';
import { validateEnv, type Env } from '../../src/config/env.js';
import { createLogging } from '../../src/logging/logging.js';
import { appLogDestination } from './test-logs.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export interface TestApp {
  app: NestExpressApplication;
  /** supertest bound to the listening server. */
  http: ReturnType<typeof request>;
  url: string;
  db: DataSource;
  close(): Promise<void>;
}

/**
 * The real application (real middleware, filter, pipes) on the test database, listening on a free port.
 * An override of `undefined` removes the variable (e.g. `{ ADMIN_TOKEN: undefined }`).
 */
export async function startTestApp(overrides: Record<string, string | undefined> = {}): Promise<TestApp> {
  const databaseUrl = overrides.DATABASE_URL ?? process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set: run the tests through jest (global setup)');
  const env: Env = validateEnv({
    ...process.env,
    NODE_ENV: 'test',
    ADMIN_TOKEN,
    BOOTSTRAP_DEFAULT_TENANT: 'false',
    DB_POOL_SIZE: '10',
    // Tests revoke keys and count queries: look every key up.
    AUTH_CACHE_TTL_MS: '0',
    // Suites fire requests as fast as they can: no rate limit unless a test asks for one.
    RATE_LIMIT_PER_MINUTE: '0',
    // The cron sweeps every tenant: tests drive sweep() themselves, scoped to their own tenants.
    ENABLE_CRON: 'false',
    // The webhook relay would send the queries of tests that count them: on only where a test turns it on.
    WEBHOOK_RELAY: 'false',
    // No shared cache unless a test asks for one (test/cache): suites count the queries of reads.
    REDIS_URL: undefined,
    ...overrides,
  });
  const logging = await createLogging(env, appLogDestination('[test app]'));
  // What Nest logs before the app exists (while AppModule.forRoot builds it) goes the same way.
  Logger.overrideLogger(logging.nest);
  const app = await createApp(env, databaseUrl, { logging });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  return {
    app,
    http: request(url),
    url,
    db: app.get(DataSource),
    close: () => app.close(),
  };
}
