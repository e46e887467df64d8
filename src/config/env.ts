import 'reflect-metadata';
import { plainToInstance, Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  MinLength,
  ValidateIf,
  validateSync,
} from 'class-validator';

// Environment values are strings: convert exactly the well-formed ones and leave
// anything else as it is, so that validation names the variable.
const toBoolean = ({ value }: { value: unknown }) =>
  value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const toInt = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^-?\d{1,15}$/.test(value.trim()) ? Number(value) : value;
const EnvInt = () => Transform(toInt);
const EnvBool = () => Transform(toBoolean);

export const DB_POOL_MODES = ['session', 'transaction'] as const;
export type DbPoolMode = (typeof DB_POOL_MODES)[number];
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'log', 'debug', 'verbose', 'trace', 'silent'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];
const ORIGIN = String.raw`https?://[A-Za-z0-9.-]+(:\d{1,5})?`;
const ORIGIN_LIST = new RegExp(String.raw`^\s*${ORIGIN}\s*(,\s*${ORIGIN}\s*)*$`);

/** Every setting the service reads from the environment, with its default. */
export class Env {
  @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  /** External PostgreSQL; when unset an embedded server is started with its data under EMBEDDED_PG_DIR. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'DATABASE_URL must be a postgres:// URL' })
  DATABASE_URL?: string;

  /**
   * Where migrations run (on start and by `npm run migration:run`): a direct connection, for when DATABASE_URL
   * goes through a transaction-pooling PgBouncer, where the session advisory lock around them cannot be kept.
   * Unset: DATABASE_URL (or the embedded server).
   */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'MIGRATIONS_DATABASE_URL must be a postgres:// URL' })
  MIGRATIONS_DATABASE_URL?: string;

  /**
   * How DATABASE_URL's connections reach PostgreSQL. `session`: each is a session of its own (directly, or a
   * PgBouncer in session mode), and the timeouts below are set once per connection. `transaction`: a PgBouncer
   * in transaction pooling mode, where consecutive transactions of one connection may run in different server
   * sessions: nothing is set per connection, every transaction sets its timeouts with SET LOCAL.
   */
  @IsIn(DB_POOL_MODES, { message: `DB_POOL_MODE must be one of ${DB_POOL_MODES.join(', ')}` })
  DB_POOL_MODE: DbPoolMode = 'session';

  @IsString()
  EMBEDDED_PG_DIR: string = '.data/postgres';

  @EnvInt()
  @IsInt()
  @Min(1024)
  @Max(65535)
  EMBEDDED_PG_PORT: number = 54329;

  /**
   * Processes serving on PORT (node:cluster): 1, the default, is one process as ever; n > 1 starts a primary
   * that migrates once, owns the embedded PostgreSQL if any, and forks n workers sharing the port; `auto` is
   * one worker per core (os.availableParallelism()). Each worker has its own pool of DB_POOL_SIZE connections.
   */
  @EnvInt()
  @ValidateIf((_, value) => value !== 'auto')
  @IsInt({ message: 'WORKERS must be a whole number from 1 to 64, or auto' })
  @Min(1, { message: 'WORKERS must be a whole number from 1 to 64, or auto' })
  @Max(64, { message: 'WORKERS must be a whole number from 1 to 64, or auto' })
  WORKERS: number | 'auto' = 1;

  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(200)
  DB_POOL_SIZE: number = 10;

  /** Longest a request waits for a row lock before it answers 503. */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(60000)
  DB_LOCK_TIMEOUT_MS: number = 5000;

  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(600000)
  DB_STATEMENT_TIMEOUT_MS: number = 15000;

  /** Enables /api/admin; unset means the admin routes do not exist (404). */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'ADMIN_TOKEN must be at least 16 characters' })
  ADMIN_TOKEN?: string;

  /** How long a verified API key is remembered in memory (0: look it up on every request). */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(300000)
  AUTH_CACHE_TTL_MS: number = 10000;

  /** How often each instance writes the last_used_at of the API keys it saw (one UPDATE for all of them). */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(3600000)
  AUTH_LAST_USED_FLUSH_MS: number = 60000;

  /** Requests one API key may make per minute in this instance (429 rate_limited beyond); 0 turns limiting off. */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(1000000)
  RATE_LIMIT_PER_MINUTE: number = 6000;

  /** How long Idempotency-Key responses are kept for replay. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(720)
  IDEMPOTENCY_TTL_HOURS: number = 24;

  /** How long events are kept for the feed and webhook replays; older ones are purged hourly. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(365)
  EVENT_RETENTION_DAYS: number = 7;

  /** Key for the HMAC that makes pagination cursors tamper-evident. */
  @IsString()
  @MinLength(16)
  CURSOR_SECRET: string = 'inventory-service-cursor-secret';

  @EnvBool()
  @IsBoolean()
  BOOTSTRAP_DEFAULT_TENANT: boolean = true;

  /** Hold time of a reservation that does not name one. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(86400)
  RESERVATION_DEFAULT_TTL_SECONDS: number = 600;

  /** Runs the scheduled jobs (reservation expiry) in this instance. */
  @EnvBool()
  @IsBoolean()
  ENABLE_CRON: boolean = true;

  /** When the expiry sweeper runs (cron syntax with seconds). */
  @IsString()
  @Matches(/^\S+( \S+){4,5}$/, { message: 'RESERVATION_SWEEP_CRON must be a cron expression' })
  RESERVATION_SWEEP_CRON: string = '*/30 * * * * *';

  /** Lowest level logged (pino names; Nest's `log`/`verbose` mean info/trace). Unset: info, or warn when NODE_ENV=test. */
  @IsOptional()
  @IsIn(LOG_LEVELS, { message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}` })
  LOG_LEVEL?: LogLevelName;

  /** Human-readable logs (pino-pretty) instead of JSON lines. Unset: pretty only on a terminal outside production. */
  @IsOptional()
  @EnvBool()
  @IsBoolean()
  LOG_PRETTY?: boolean;

  /** When set, GET /metrics needs `Authorization: Bearer <METRICS_TOKEN>`. */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'METRICS_TOKEN must be at least 16 characters' })
  METRICS_TOKEN?: string;

  /**
   * Where traces go (OTLP over HTTP, e.g. http://otel-collector:4318): set, requests and their database
   * queries are traced and exported (see src/tracing/); unset, tracing is off and nothing of it is loaded.
   * The SDK reads its other OTEL_* variables itself (protocol, headers, sampler, service name).
   */
  @IsOptional()
  @Matches(/^https?:\/\/[^\s/?#]+(\/\S*)?$/, {
    message: 'OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL such as http://localhost:4318',
  })
  OTEL_EXPORTER_OTLP_ENDPOINT?: string;

  /** OpenTelemetry's own off switch: true turns tracing off even with an endpoint set. */
  @EnvBool()
  @IsBoolean()
  OTEL_SDK_DISABLED: boolean = false;

  /**
   * After SIGTERM/SIGINT, how long /health/ready answers 503 while every request is still served, so that
   * load balancers stop sending before connections close. 0 outside the Docker image (which sets 5000).
   */
  @EnvInt()
  @IsInt()
  @Min(0)
  @Max(300000)
  SHUTDOWN_DELAY_MS: number = 0;

  /** Longest shutdown, from the signal to exit; past it, open connections are cut and the process exits 1. */
  @EnvInt()
  @IsInt()
  @Min(1000)
  @Max(600000)
  SHUTDOWN_TIMEOUT_MS: number = 10000;

  /** Runs the webhook relay in this instance (fan-out of events to endpoints, then delivery); every instance may. */
  @EnvBool()
  @IsBoolean()
  WEBHOOK_RELAY: boolean = true;

  /**
   * Lets webhook URLs reach loopback, private, link-local, CGNAT and metadata addresses (development and tests).
   * Off: such URLs are refused when created and checked again, on the resolved address, at every delivery.
   */
  @EnvBool()
  @IsBoolean()
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: boolean = false;

  /**
   * Key that encrypts webhook signing secrets at rest (AES-256-GCM, key derived by HKDF-SHA256), so that a
   * database dump alone cannot sign. Unset: a built-in development key (a warning at start in production).
   */
  @IsOptional()
  @IsString()
  @MinLength(16, { message: 'WEBHOOK_SECRET_KEY must be at least 16 characters' })
  WEBHOOK_SECRET_KEY?: string;

  /** Longest a webhook delivery may take (connect, send, answer) before it counts as failed. */
  @EnvInt()
  @IsInt()
  @Min(100)
  @Max(60000)
  WEBHOOK_TIMEOUT_MS: number = 5000;

  /** First retry delay of a failed delivery; doubled on each failure (with jitter) up to an hour. */
  @EnvInt()
  @IsInt()
  @Min(10)
  @Max(3600000)
  WEBHOOK_RETRY_BASE_MS: number = 1000;

  /** An endpoint failing for this long without a success is disabled (a webhook.disabled event says so). */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(720)
  WEBHOOK_DISABLE_AFTER_HOURS: number = 24;

  /** ...or after this many failed delivery rounds in a row, whichever comes first. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(10000)
  WEBHOOK_MAX_FAILURES: number = 40;

  /**
   * Redis for the item and availability read cache, shared by every instance (redis:// or rediss://). Unset: no
   * cache at all, every read goes to PostgreSQL (a per-instance cache could not keep reads fresh across instances).
   */
  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'REDIS_URL must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  /** Prefix of every Redis key the service writes (several deployments or test runs may share one Redis). */
  @Matches(/^[A-Za-z0-9:_.-]{1,64}$/, { message: 'REDIS_KEY_PREFIX must be 1..64 of A-Z a-z 0-9 : _ . -' })
  REDIS_KEY_PREFIX: string = 'inv:';

  /** Longest wait for one Redis command; past it a read goes to PostgreSQL and a failed invalidation is repaired. */
  @EnvInt()
  @IsInt()
  @Min(5)
  @Max(5000)
  REDIS_COMMAND_TIMEOUT_MS: number = 100;

  /** Lifetime of a cached entry: a backstop, freshness never depends on it. */
  @EnvInt()
  @IsInt()
  @Min(1)
  @Max(86400)
  REDIS_CACHE_TTL_SECONDS: number = 300;

  /** Comma-separated origins allowed to call the API from a browser (CORS); unset: CORS off. */
  @IsOptional()
  @Matches(ORIGIN_LIST, {
    message: 'CORS_ORIGINS must be a comma-separated list of origins such as https://shop.example.com',
  })
  CORS_ORIGINS?: string;
}

/** The origins CORS_ORIGINS lists (empty: CORS off). */
export function corsOrigins(env: Env): string[] {
  return (env.CORS_ORIGINS ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
}

/** How many worker processes WORKERS asks for on a machine with `cores` cores (1: no cluster). */
export function workerCount(env: Env, cores: number): number {
  return env.WORKERS === 'auto' ? Math.max(1, cores) : env.WORKERS;
}

/** Parses and validates the environment; throws one line per bad variable. */
export function validateEnv(raw: Record<string, unknown>): Env {
  const env = plainToInstance(Env, raw, { exposeDefaultValues: true });
  const errors = validateSync(env);
  if (errors.length > 0) {
    const lines = errors.map((e) => {
      const reason = Object.values(e.constraints ?? {}).reverse()[0] ?? 'is invalid';
      return `Invalid configuration: ${e.property}=${JSON.stringify(raw[e.property])}: ${reason}`;
    });
    throw new Error(lines.join('\n'));
  }
  if (env.SHUTDOWN_DELAY_MS >= env.SHUTDOWN_TIMEOUT_MS) {
    throw new Error(
      `Invalid configuration: SHUTDOWN_DELAY_MS=${JSON.stringify(raw.SHUTDOWN_DELAY_MS ?? String(env.SHUTDOWN_DELAY_MS))}: ` +
        `SHUTDOWN_DELAY_MS must be less than SHUTDOWN_TIMEOUT_MS (${env.SHUTDOWN_TIMEOUT_MS})`,
    );
  }
  if (env.DB_POOL_MODE === 'transaction' && !(env.DATABASE_URL && env.MIGRATIONS_DATABASE_URL)) {
    throw new Error(
      `Invalid configuration: DB_POOL_MODE="transaction": needs DATABASE_URL (the pooler) and MIGRATIONS_DATABASE_URL ` +
        `(a direct connection: migrations hold a session advisory lock, which transaction pooling cannot keep)`,
    );
  }
  return env;
}
