import pino, { type DestinationStream, type Logger } from 'pino';
import type { Env, LogLevelName } from '../config/env.js';

const PINO_LEVELS: Record<LogLevelName, pino.LevelWithSilent> = {
  fatal: 'fatal',
  error: 'error',
  warn: 'warn',
  info: 'info',
  log: 'info',
  debug: 'debug',
  verbose: 'trace',
  trace: 'trace',
  silent: 'silent',
};

/** LOG_LEVEL in pino's terms; tests are quiet unless they ask otherwise. */
export function logLevel(env: Env): pino.LevelWithSilent {
  if (env.LOG_LEVEL) return PINO_LEVELS[env.LOG_LEVEL];
  return env.NODE_ENV === 'test' ? 'warn' : 'info';
}

/**
 * Secrets never reach a log line. Request lines carry no headers or bodies at all
 * (see http-logger.ts); these paths catch whatever else is logged as an object.
 */
export const REDACT_PATHS = [
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'api_key',
  'apiKey',
  'token',
  '*.authorization',
  '*.api_key',
  '*.apiKey',
  '*.key',
  '*.token',
];

export function prettyLogs(env: Env): boolean {
  return env.LOG_PRETTY ?? (process.stdout.isTTY === true && env.NODE_ENV !== 'production');
}

/**
 * The root pino logger: JSON lines on stdout (ISO time, level names), or
 * pino-pretty when LOG_PRETTY says so. pino-pretty is a dev dependency: where it
 * is not installed (the production image) the logs stay JSON.
 */
export async function createLogger(env: Env, destination?: DestinationStream): Promise<Logger> {
  const options: pino.LoggerOptions = {
    level: logLevel(env),
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
  };
  if (destination || !prettyLogs(env)) return pino(options, destination ?? pino.destination({ dest: 1, sync: true }));
  try {
    const { default: pretty } = await import('pino-pretty');
    return pino(
      options,
      pretty({
        sync: true,
        translateTime: 'SYS:HH:MM:ss.l',
        ignore: 'pid,hostname,context',
        messageFormat: '{if context}[{context}] {end}{msg}',
      }),
    );
  } catch {
    const logger = pino(options);
    logger.warn('LOG_PRETTY is set but pino-pretty is not installed: logging JSON');
    return logger;
  }
}
