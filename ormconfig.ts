import { DataSource } from 'typeorm';
import { embeddedUrl } from './src/database/embedded-postgres.js';
import { dataSourceOptions } from './src/database/data-source-options.js';

/**
 * The DataSource the TypeORM CLI uses (after `npm run build`:
 * `npx typeorm migration:show -d dist/ormconfig.js`). Same options as the app;
 * on MIGRATIONS_DATABASE_URL when set (the CLI runs migrations: a direct session),
 * else DATABASE_URL; without either it points at the embedded server, which must be
 * running (`npm start` or `npm run migration:run` start it).
 */
export default new DataSource(
  dataSourceOptions(
    process.env.MIGRATIONS_DATABASE_URL ??
      process.env.DATABASE_URL ??
      embeddedUrl(Number(process.env.EMBEDDED_PG_PORT ?? 54329)),
  ),
);
