// Runs once per `jest` run, outside the test VM, on the compiled sources
// (`npm test` builds first). Every run gets a database of its own, built from the
// migrations: a fresh embedded cluster by default, or a fresh database on the
// server DATABASE_URL names (CI's second pass on the machine's PostgreSQL 15; the
// third goes through PgBouncer, MIGRATIONS_DATABASE_URL naming the server).
// Test workers inherit the resulting DATABASE_URL (and MIGRATIONS_DATABASE_URL).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../dist/src/database/data-source-options.js';
import { startEmbeddedPostgres } from '../../dist/src/database/embedded-postgres.js';
import { runMigrations } from '../../dist/src/database/open-database.js';

export default async function globalSetup() {
  const external = process.env.DATABASE_URL;
  // Behind a transaction-pooling PgBouncer (CI's third pass), DATABASE_URL is the pooler and
  // MIGRATIONS_DATABASE_URL the server itself: the database is made and migrated there.
  const direct = process.env.MIGRATIONS_DATABASE_URL;
  let url;
  let migrationsUrl;
  if (external) {
    const name = `inventory_test_${Date.now()}_${randomBytes(3).toString('hex')}`;
    const adminUrl = direct ?? external;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    url = withDatabase(external, name);
    migrationsUrl = withDatabase(adminUrl, name);
    process.env.TEST_DATABASE_ADMIN_URL = adminUrl;
    process.env.TEST_DATABASE_NAME = name;
  } else {
    const port = await freePort();
    const server = await startEmbeddedPostgres({
      dir: join(tmpdir(), `inventory-test-${process.pid}-${port}`),
      port,
      persistent: false,
    });
    url = migrationsUrl = server.url;
    globalThis.__EMBEDDED_PG__ = server;
  }
  const dataSource = new DataSource(dataSourceOptions(migrationsUrl));
  await dataSource.initialize();
  await runMigrations(dataSource);
  await dataSource.destroy();
  process.env.DATABASE_URL = url;
  // Workers' apps migrate there: the run's database on the server, never another one.
  if (external && direct) process.env.MIGRATIONS_DATABASE_URL = migrationsUrl;
  else delete process.env.MIGRATIONS_DATABASE_URL;
  const where = direct ? `, through ${new URL(external).host} (${process.env.DB_POOL_MODE ?? 'session'} pooling)` : '';
  console.log(
    `\n[tests] database: ${external ? `fresh database on ${new URL(migrationsUrl).host}${where}` : 'embedded PostgreSQL'}`,
  );
}

function withDatabase(url, name) {
  const target = new URL(url);
  target.pathname = `/${name}`;
  return target.toString();
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      srv.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
