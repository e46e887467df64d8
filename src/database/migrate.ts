import { DataSource } from 'typeorm';
import { validateEnv } from '../config/env.js';
import { dataSourceOptions } from './data-source-options.js';
import { openDatabase, runMigrations } from './open-database.js';

/** `npm run migration:run` (or `-- --revert`): the same migrations the app runs on start-up. */
async function main(): Promise<void> {
  const env = validateEnv(process.env);
  const database = await openDatabase(env);
  const dataSource = new DataSource(dataSourceOptions(database.url));
  try {
    await dataSource.initialize();
    if (process.argv.includes('--revert')) {
      await dataSource.undoLastMigration({ transaction: 'all' });
      console.log('Reverted the last migration');
    } else {
      const applied = await runMigrations(dataSource);
      console.log(applied.length ? `Applied: ${applied.join(', ')}` : 'Schema is up to date');
    }
  } finally {
    await dataSource.destroy();
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
