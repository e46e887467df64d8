import { DataSource } from 'typeorm';
import { validateEnv } from '../config/env.js';
import { poolSettings } from './data-source-options.js';
import { openDatabase, runMigrations, withDirectSessions } from './open-database.js';

/**
 * `npm run migration:run` (or `-- --revert`): the same migrations the app runs on start-up, on
 * MIGRATIONS_DATABASE_URL when set.
 */
async function main(): Promise<void> {
  const env = validateEnv(process.env);
  const database = await openDatabase(env);
  try {
    await withDirectSessions(env.MIGRATIONS_DATABASE_URL ?? database.url, poolSettings(env), migrateOrRevert);
  } finally {
    await database.close();
  }
}

async function migrateOrRevert(dataSource: DataSource): Promise<void> {
  if (process.argv.includes('--revert')) {
    await dataSource.undoLastMigration({ transaction: 'all' });
    console.log('Reverted the last migration');
  } else {
    const applied = await runMigrations(dataSource);
    console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Schema is up to date');
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
