import type { INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import express, { type NextFunction, type Request, type Response } from 'express';
import { NotFoundError } from './common/errors.js';
import { AppModule } from './app.module.js';
import { expressErrorHandler } from './common/all-exceptions.filter.js';
import { requestIdMiddleware } from './common/request-id.js';
import type { Env } from './config/env.js';

export const BODY_LIMIT = '100kb';

/** Builds the application exactly as it serves: used by main.ts and by the e2e tests. */
export async function createApp(env: Env, databaseUrl: string): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(env, databaseUrl), {
    bodyParser: false,
    logger: env.NODE_ENV === 'test' ? ['error', 'warn'] : undefined,
  });
  app.disable('x-powered-by');
  app.set('query parser', 'extended');
  // The request id comes first so that even a body that fails to parse gets one.
  app.use(requestIdMiddleware);
  app.use(express.json({ limit: BODY_LIMIT, strict: true, type: ['application/json', 'application/*+json'] }));
  app.use(expressErrorHandler);
  app.setGlobalPrefix('api', { exclude: ['health/live', 'health/ready'] });
  setupSwagger(app);
  await app.init();
  // Registered after init so they sit behind every route: JSON for unknown paths
  // outside /api too, never Express's HTML page.
  app.use((req: Request, _res: Response, next: NextFunction) => next(new NotFoundError(`Route ${req.method} ${req.path}`)));
  app.use(expressErrorHandler);
  return app;
}

function setupSwagger(app: INestApplication): void {
  const config = new DocumentBuilder()
    .setTitle('inventory-service')
    .setDescription('Stock, reservations, orders and their audit trail. Never oversells, never loses a unit.')
    .setVersion('0.1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'A tenant API key (or ADMIN_TOKEN for /api/admin)' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
}
