import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import cluster from 'node:cluster';
import { NotFoundError } from './common/errors.js';
import { AppModule } from './app.module.js';
import { expressErrorHandler } from './common/all-exceptions.filter.js';
import { answerClientErrorsWithJson } from './common/client-error.js';
import { requestIdMiddleware } from './common/request-id.js';
import { corsOrigins, type Env } from './config/env.js';
import { createLogging, type Logging } from './logging/logging.js';
import { MetricsService } from './metrics/metrics.service.js';
import { setupSwagger } from './openapi/document.js';
import { traceContextMiddleware } from './tracing/trace-context.js';
import { tracingEnabled } from './tracing/tracing.js';

export const BODY_LIMIT = '100kb';
/** Counts and batches take up to 1,000 lines (about 115 bytes each, more with a reason): a larger body. */
export const STOCK_BATCH_BODY_LIMIT = '1mb';
const STOCK_BATCH_ROUTES = ['/api/stock/counts', '/api/stock/adjustments'];
/** Served at the root rather than under /api: probes and scrapers address them directly. */
export const UNPREFIXED_ROUTES = ['health/live', 'health/ready', 'metrics'];

/**
 * With WORKERS > 1, which worker answered (X-Worker-Pid): to tell them apart in a
 * trace or a bug report, and for the tests that check requests are spread and a
 * dead worker replaced. Not sent by a single process.
 */
function workerPidHeader(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('X-Worker-Pid', String(process.pid));
  next();
}

/** Builds the application exactly as it serves: used by main.ts and by the e2e tests. */
export async function createApp(
  env: Env,
  databaseUrl: string,
  options: { logging?: Logging } = {},
): Promise<NestExpressApplication> {
  const logging = options.logging ?? (await createLogging(env));
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(env, databaseUrl), {
    bodyParser: false,
    logger: logging.nest,
  });
  app.disable('x-powered-by');
  // Every body carries its request_id, so an ETag would never match: not worth a SHA-1 per response.
  app.set('etag', false);
  // Requests Node refuses before Express sees them (headers over 16 kB, broken HTTP) get a JSON error too.
  answerClientErrorsWithJson(app.getHttpServer());
  app.set('query parser', 'extended');
  // The request id comes first so that even a body that fails to parse gets one.
  app.use(requestIdMiddleware);
  if (cluster.isWorker) app.use(workerPidHeader);
  // Before the log, which writes the trace id next to the request id.
  if (tracingEnabled(env)) app.use(traceContextMiddleware);
  app.use(logging.http);
  app.use(app.get(MetricsService).httpMiddleware());
  // Security headers on every response. No upgrade-insecure-requests: the service
  // speaks plain HTTP behind its TLS terminator, and Swagger UI must load over it.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  const origins = corsOrigins(env);
  if (origins.length > 0) {
    app.enableCors({
      origin: origins,
      exposedHeaders: ['X-Request-Id', 'Retry-After', 'Idempotent-Replayed'],
      maxAge: 600,
    });
  }
  const json = (limit: string) =>
    express.json({ limit, strict: true, type: ['application/json', 'application/*+json'] });
  // A body read by the first parser is left alone by the second.
  app.use(STOCK_BATCH_ROUTES, json(STOCK_BATCH_BODY_LIMIT));
  app.use(json(BODY_LIMIT));
  app.use(expressErrorHandler);
  app.setGlobalPrefix('api', { exclude: UNPREFIXED_ROUTES });
  setupSwagger(app);
  await app.init();
  // Registered after init so they sit behind every route: JSON for unknown paths
  // outside /api too, never Express's HTML page.
  app.use((req: Request, _res: Response, next: NextFunction) =>
    next(new NotFoundError(`Route ${req.method} ${req.path}`)),
  );
  app.use(expressErrorHandler);
  return app;
}
