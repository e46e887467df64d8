// Shared by the bench scripts: a PostgreSQL to run against (DATABASE_URL, or an
// embedded server with its data under .data/bench-postgres), migrated, and a
// tenant with an API key. Uses the compiled service (run `npm run build` first;
// the npm scripts do).
import pg from 'pg';
import { DataSource } from 'typeorm';
import { generateApiKey } from '../../dist/src/auth/api-key-secret.js';
import { dataSourceOptions } from '../../dist/src/database/data-source-options.js';
import { startEmbeddedPostgres } from '../../dist/src/database/embedded-postgres.js';
import { runMigrations } from '../../dist/src/database/open-database.js';

export async function openBenchDatabase(database = 'inventory') {
  const handle = process.env.DATABASE_URL
    ? { url: withDatabase(process.env.DATABASE_URL, database), kind: 'external', close: async () => {} }
    : await startEmbeddedPostgres({
        dir: '.data/bench-postgres',
        database,
        port: Number(process.env.BENCH_PG_PORT ?? 54339),
        // Sized for bulk loads and a million orders on this 24 GiB machine; durability as usual.
        settings: [
          '-c',
          'shared_buffers=2GB',
          '-c',
          'max_wal_size=8GB',
          '-c',
          'checkpoint_timeout=30min',
          '-c',
          'work_mem=32MB',
        ],
      });
  if (handle.kind === 'external' && database !== 'inventory') await createDatabase(process.env.DATABASE_URL, database);
  const dataSource = new DataSource(dataSourceOptions(handle.url));
  await dataSource.initialize();
  await runMigrations(dataSource);
  await dataSource.destroy();
  return handle;
}

/** A tenant (found by name or made) with its default warehouse and a fresh API key. */
export async function benchTenant(client, name) {
  let tenant = (await client.query('SELECT id FROM tenant WHERE name = $1', [name])).rows[0];
  if (!tenant) {
    tenant = (await client.query('INSERT INTO tenant (name) VALUES ($1) RETURNING id', [name])).rows[0];
    await client.query(
      `INSERT INTO warehouse (tenant_id, code, name, is_default) VALUES ($1, 'default', 'Default warehouse', true)`,
      [tenant.id],
    );
  }
  const key = generateApiKey();
  // Every scope; a build from before scopes (--compare-build) has no such column.
  const scoped = (
    await client.query(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'api_key' AND column_name = 'scopes'`,
    )
  ).rowCount;
  await client.query(
    scoped
      ? `INSERT INTO api_key (tenant_id, label, key_hash, key_prefix, scopes) VALUES ($1, $2, $3, $4, '{*}')`
      : 'INSERT INTO api_key (tenant_id, label, key_hash, key_prefix) VALUES ($1, $2, $3, $4)',
    [tenant.id, 'bench', key.hash, key.prefix],
  );
  const warehouse = (await client.query('SELECT id FROM warehouse WHERE tenant_id = $1 AND is_default', [tenant.id]))
    .rows[0];
  return { id: tenant.id, key: key.key, warehouseId: warehouse.id };
}

export async function connect(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

function withDatabase(url, database) {
  if (database === 'inventory') return url;
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function createDatabase(url, database) {
  const client = await connect(url);
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!exists.rowCount) await client.query(`CREATE DATABASE "${database}"`);
  } finally {
    await client.end();
  }
}

/** Drops a throwaway benchmark database, through a connection to another one. */
export async function dropDatabase(url, database) {
  const u = new URL(url);
  u.pathname = '/postgres';
  const client = await connect(u.toString());
  try {
    await client.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
