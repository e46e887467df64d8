import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { NotFoundError } from './common/errors.js';
import { AppModule } from './app.module.js';
import { expressErrorHandler } from './common/all-exceptions.filter.js';
import { answerClientErrorsWithJson } from './common/client-error.js';
import { requestIdMiddleware } from './common/request-id.js';
import { corsOrigins, type Env } from './config/env.js';
import { createLogging, type Logging } from './logging/logging.js';
import { MetricsService } from './metrics/metrics.service.js';
import { setupSwagger } from './openapi/document.js';

export const BODY_LIMIT = '100kb';
/** Served at the root rather than under /api: probes and scrapers address them directly. */
export const UNPREFIXED_ROUTES = ['health/live', 'health/ready', 'metrics'];

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
  app.use(express.json({ limit: BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] }));
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
