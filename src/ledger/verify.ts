import { DataSource } from 'typeorm';
import { validateEnv } from '../config/env.js';
import { dataSourceOptions, poolSettings } from '../database/data-source-options.js';
import { openDatabase } from '../database/open-database.js';
import { checkLedgerSnapshot } from './ledger-check.js';

/**
 * `npm run verify`: checks the stock ledger of the database the service uses
 * (DATABASE_URL, or the embedded one under .data/), every tenant. Prints what
 * does not add up and exits 1 if anything does not.
 */
async function main(): Promise<void> {
  const env = validateEnv(process.env);
  const database = await openDatabase(env);
  const dataSource = new DataSource(dataSourceOptions(database.url, { ...poolSettings(env), poolSize: 1 }));
  try {
    await dataSource.initialize();
    const started = Date.now();
    // Without the service's statement timeout (the check reads every movement: 24 s at 10 million), in
    // one transaction: a session-wide SET would stay behind in a PgBouncer server session for other clients.
    const check = await checkLedgerSnapshot(dataSource, process.env.VERIFY_TENANT_ID || undefined, 0);
    const took = Date.now() - started;
    for (const p of check.problems) {
      console.log(`${p.tenant_id} item ${p.item_id} warehouse ${p.warehouse_id}: ${p.problems.join('; ')}`);
    }
    const verdict =
      check.problems.length === 0 ? 'the ledger explains every unit' : `${check.problems.length} rows do not add up`;
    console.log(`verify: ${check.stock_rows} stock rows, ${check.movements} movements, ${verdict} (${took} ms)`);
    if (check.problems.length > 0) process.exitCode = 1;
  } finally {
    await dataSource.destroy();
    await database.close();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(2);
});
