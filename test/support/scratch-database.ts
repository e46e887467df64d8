import { afterAll, beforeAll } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options.js';
import { MIGRATIONS } from '../../src/database/migrations/index.js';
import { directDatabaseUrl, withDatabase } from './util.js';

// A database of its own for a test file (on the tests' server, dropped after it), to run
// a migration on rows written by the migrations before it.

/**
 * Creates the database before the file's tests, drops it after, and returns a
 * function that migrates it up to (without) `before`, or all the way, and hands
 * over a data source on it (the caller destroys it).
 */
export function scratchDatabase(prefix: string): (before?: (typeof MIGRATIONS)[number]) => Promise<DataSource> {
  const name = `${prefix}_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client;
  beforeAll(async () => {
    admin = new pg.Client({ connectionString: directDatabaseUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
  });
  afterAll(async () => {
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });
  return async (before) => {
    const ds = new DataSource({
      ...dataSourceOptions(withDatabase(directDatabaseUrl(), name)),
      migrations: MIGRATIONS.slice(0, before ? MIGRATIONS.indexOf(before) : MIGRATIONS.length),
    });
    await ds.initialize();
    await ds.runMigrations({ transaction: 'each' });
    return ds;
  };
}
