import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createApp } from '../../../src/app.setup.js';
import { validateEnv } from '../../../src/config/env.js';
import { createLogging } from '../../../src/logging/logging.js';
import { ADMIN_TOKEN } from '../../support/test-app.js';
import { appLogDestination } from '../../support/test-logs.js';

/** Like startTestApp, but on any database URL (a proxy, a scratch database). */
export async function startAppOn(databaseUrl: string, overrides: Record<string, string | undefined> = {}) {
  const env = validateEnv({
    ...process.env,
    NODE_ENV: 'test',
    ADMIN_TOKEN,
    BOOTSTRAP_DEFAULT_TENANT: 'false',
    ENABLE_CRON: 'false',
    RATE_LIMIT_PER_MINUTE: '0',
    ...overrides,
  });
  const logging = await createLogging(env, appLogDestination('[test app]'));
  Logger.overrideLogger(logging.nest); // as startTestApp does
  const app: NestExpressApplication = await createApp(env, databaseUrl, { logging });
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, http: request(`http://127.0.0.1:${port}`), close: () => app.close() };
}

/** The test database URL with another database name. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}
