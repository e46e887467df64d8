import type { LoggerService } from '@nestjs/common';
import type { RequestHandler } from 'express';
import { Logger as NestPinoLogger, PinoLogger } from 'nestjs-pino';
import type { DestinationStream, Logger } from 'pino';
import type { Env } from '../config/env.js';
import { httpLogger } from './http-logger.js';
import { createLogger } from './logger.js';

export interface Logging {
  /** The pino logger everything ends up in. */
  root: Logger;
  /** nestjs-pino's LoggerService: `app.useLogger()` target, so `new Logger(ctx)` from @nestjs/common logs through pino. */
  nest: LoggerService;
  /** The request log and per-request logging context (see http-logger.ts). */
  http: RequestHandler;
}

/** Nest's start-up chatter (a line per module and per route): debug, not info. */
const FRAMEWORK_CONTEXTS = new Set(['InstanceLoader', 'RoutesResolver', 'RouterExplorer', 'NestFactory']);

class ApplicationLogger extends NestPinoLogger {
  override log(message: unknown, ...optionalParams: unknown[]): void {
    const context = optionalParams.at(-1);
    if (typeof context === 'string' && FRAMEWORK_CONTEXTS.has(context)) super.debug(message, ...optionalParams);
    else super.log(message, ...optionalParams);
  }
}

export async function createLogging(env: Env, destination?: DestinationStream): Promise<Logging> {
  const root = await createLogger(env, destination);
  // autoLogging off: request lines come from our own middleware (http-logger.ts), mounted earlier.
  const pinoLogger = new PinoLogger({ pinoHttp: { logger: root, autoLogging: false } });
  return { root, nest: new ApplicationLogger(pinoLogger, {}), http: httpLogger(root, pinoLogger) };
}
