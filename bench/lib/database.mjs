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

export async function openBenchDatabase() {
  const handle = process.env.DATABASE_URL
    ? { url: process.env.DATABASE_URL, kind: 'external', close: async () => {} }
    : await startEmbeddedPostgres({
        dir: '.data/bench-postgres',
        port: Number(process.env.BENCH_PG_PORT ?? 54339),
        // Sized for bulk loads and a million orders on this 24 GiB machine; durability as usual.
        settings: ['-c', 'shared_buffers=2GB', '-c', 'max_wal_size=8GB', '-c', 'checkpoint_timeout=30min', '-c', 'work_mem=32MB'],
      });
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
  await client.query('INSERT INTO api_key (tenant_id, label, key_hash, key_prefix) VALUES ($1, $2, $3, $4)', [
    tenant.id,
    'bench',
    key.hash,
    key.prefix,
  ]);
  const warehouse = (await client.query('SELECT id FROM warehouse WHERE tenant_id = $1 AND is_default', [tenant.id]))
    .rows[0];
  return { id: tenant.id, key: key.key, warehouseId: warehouse.id };
}

export async function connect(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}
