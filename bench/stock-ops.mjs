#!/usr/bin/env node
// npm run bench:stock-ops [-- --runs 3 --only batch-vs-single,nightly-sync]
//
// The stock operations against the built service on a fresh database:
//   batch-vs-single  1,000 adjustment lines in one POST /api/stock/adjustments (median of 5 after a warm-up), against
//                    1,000 PATCH /api/items/:id/qty requests (32 at a time): rows per second
//   nightly-sync     an ERP setting 100,000 stock rows (20,000 items x 5 warehouses) by count,
//                    in batches of 1,000 sent one after the other: seconds for all of them
// Runs are interleaved; the table shows medians of --runs. After every run the ledger
// must explain every row (checkLedger) and the rows must hold what was sent.
// Results: bench/results/stock-ops.json and stock-ops.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../dist/src/database/data-source-options.js';
import { checkLedger } from '../dist/src/ledger/ledger-check.js';
import { benchTenant, connect, dropDatabase, openBenchDatabase } from './lib/database.mjs';
import { median, startServer } from './lib/server.mjs';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '3' }, only: { type: 'string' } },
});
const RUNS = Number(values.runs);
const ONLY = values.only ? new Set(values.only.split(',')) : undefined;
const BATCH = 1000;
const SINGLES_AT_ONCE = 32;
const BATCH_REPEATS = 5;
const SYNC_ITEMS = 20_000;
const SYNC_WAREHOUSES = 5;

mkdirSync('bench/results', { recursive: true });
const dbName = `bench_stock_${Date.now()}`;
const database = await openBenchDatabase(dbName);
const client = await connect(database.url);
const tenant = await benchTenant(client, 'bench-stock');
const dataSource = new DataSource(dataSourceOptions(database.url));
await dataSource.initialize();

// Fixtures, set-based: items with empty stock rows (no units, so no movement is owed).
const single = await createItems('single', BATCH, [tenant.warehouseId]);
const batched = await createItems('batched', BATCH, [tenant.warehouseId]);
const warehouses = [tenant.warehouseId];
for (let w = 1; w < SYNC_WAREHOUSES; w++) {
  const { rows } = await client.query(
    `INSERT INTO warehouse (tenant_id, code, name, priority) VALUES ($1, $2, $2, $3) RETURNING id`,
    [tenant.id, `SYNC-${w}`, w],
  );
  warehouses.push(rows[0].id);
}
const synced = await createItems('sync', SYNC_ITEMS, warehouses);

const server = await startServer(database.url, { DB_POOL_SIZE: '8' });
const headers = { Authorization: `Bearer ${tenant.key}`, 'Content-Type': 'application/json' };
const results = {};
let failed = false;

try {
  const scenarios = [
    ['batch-vs-single', batchVsSingle],
    ['nightly-sync', nightlySync],
  ].filter(([name]) => !ONLY || ONLY.has(name));
  const runs = new Map(scenarios.map(([name]) => [name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [name, run] of scenarios) {
      const r = await run(i);
      runs.get(name).push(r);
      console.log(`${name} run ${i + 1}/${RUNS}: ${JSON.stringify(r)}`);
    }
  }
  for (const [name, list] of runs) {
    results[name] = Object.fromEntries(Object.keys(list[0]).map((k) => [k, median(list.map((r) => r[k]))]));
    results[name].runs = list;
  }
} catch (err) {
  failed = true;
  console.error(`\nBENCH FAILED: ${err instanceof Error ? err.stack : err}`);
} finally {
  await server.stop();
  await dataSource.destroy();
  await client.end();
  await database.close();
  if (database.kind === 'external') await dropDatabase(database.url, dbName);
}
report();
process.exit(failed ? 1 : 0);

// ---------------------------------------------------------------------------

/** One run: 1,000 lines in one batch, then 1,000 single adjustments (+1 each, one per item). */
async function batchVsSingle(run) {
  const lines = batched.map((id) => ({ item_id: id, warehouse_id: tenant.warehouseId, delta: 1, type: 'received' }));
  // One batch warms up, then BATCH_REPEATS are timed one after the other: the median is the batch's
  // time (one request alone is one sample, and its first run pays for a cold code path).
  const postBatch = async (ref) => {
    const t0 = performance.now();
    const res = await send('POST', '/api/stock/adjustments', { lines, reference: ref });
    if (res.status !== 200) throw new Error(`batch: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
    return performance.now() - t0;
  };
  await postBatch(`bench-batch-${run}-warmup`);
  const times = [];
  for (let k = 0; k < BATCH_REPEATS; k++) times.push(await postBatch(`bench-batch-${run}-${k}`));
  const batchMs = median(times);

  const queue = [...single];
  const t1 = performance.now();
  await Promise.all(
    Array.from({ length: SINGLES_AT_ONCE }, async () => {
      for (let id = queue.pop(); id; id = queue.pop()) {
        const r = await send('PATCH', `/api/items/${id}/qty`, { delta: 1, type: 'received' });
        if (r.status !== 200) throw new Error(`single: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      }
    }),
  );
  const singleMs = performance.now() - t1;
  await expectOnHand(batched, [tenant.warehouseId], (run + 1) * (BATCH_REPEATS + 1));
  await expectOnHand(single, [tenant.warehouseId], run + 1);
  const batchRows = BATCH / (batchMs / 1000);
  const singleRows = BATCH / (singleMs / 1000);
  return {
    batch_ms: round(batchMs),
    batch_rows_per_s: round(batchRows),
    single_ms: round(singleMs),
    single_rows_per_s: round(singleRows),
    ratio: round(batchRows / singleRows, 1),
  };
}

/** One run: every one of the 100,000 rows counted to a new value, 1,000 lines a request, one request at a time. */
async function nightlySync(run) {
  const value = 1000 + run;
  const keys = synced.flatMap((id) => warehouses.map((w) => ({ item_id: id, warehouse_id: w })));
  const t0 = performance.now();
  let slowest = 0;
  for (let i = 0; i < keys.length; i += BATCH) {
    const lines = keys.slice(i, i + BATCH).map((k) => ({ ...k, on_hand: value }));
    const s = performance.now();
    const res = await send('POST', '/api/stock/adjustments', { lines, reference: `erp-sync-${run}` });
    slowest = Math.max(slowest, performance.now() - s);
    if (res.status !== 200) throw new Error(`sync: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  }
  const seconds = (performance.now() - t0) / 1000;
  await expectOnHand(synced, warehouses, value);
  return {
    rows: keys.length,
    seconds: round(seconds, 2),
    rows_per_s: round(keys.length / seconds),
    slowest_batch_ms: round(slowest),
  };
}

async function send(method, path, body) {
  const res = await fetch(`${server.url}${path}`, { method, headers, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

async function createItems(prefix, count, warehouseIds) {
  const { rows } = await client.query(
    `INSERT INTO item (tenant_id, name, sku)
     SELECT $1, $2 || '-' || lpad(g::text, 6, '0'), upper($2) || '-' || g FROM generate_series(1, $3) g
     RETURNING id`,
    [tenant.id, prefix, count],
  );
  const ids = rows.map((r) => r.id);
  await client.query(
    `INSERT INTO stock (tenant_id, item_id, warehouse_id, on_hand)
     SELECT $1, i, w, 0 FROM unnest($2::uuid[]) i CROSS JOIN unnest($3::uuid[]) w`,
    [tenant.id, ids, warehouseIds],
  );
  return ids;
}

/** Every row of these items in these warehouses holds `onHand`, and the ledger explains every row of the tenant. */
async function expectOnHand(itemIds, warehouseIds, onHand) {
  const { rows } = await client.query(
    `SELECT count(*)::int AS wrong FROM stock
     WHERE item_id = ANY($1::uuid[]) AND warehouse_id = ANY($2::uuid[]) AND on_hand <> $3`,
    [itemIds, warehouseIds, onHand],
  );
  if (rows[0].wrong > 0) throw new Error(`${rows[0].wrong} stock rows do not hold ${onHand}`);
  const check = await checkLedger(dataSource.manager, tenant.id);
  if (check.problems.length > 0) throw new Error(`ledger: ${JSON.stringify(check.problems[0])}`);
}

function round(n, digits = 0) {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function report() {
  const b = results['batch-vs-single'];
  const s = results['nightly-sync'];
  const lines = [
    '',
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB; medians of ${RUNS} runs`,
    '| scenario | result |',
    '|---|---|',
    b
      ? `| 1,000 lines in one batch | ${b.batch_rows_per_s} rows/s (${b.batch_ms} ms) |\n` +
        `| 1,000 single PATCH …/qty, ${SINGLES_AT_ONCE} at a time | ${b.single_rows_per_s} rows/s (${b.single_ms} ms) |\n` +
        `| batch vs single | **${b.ratio}×** (goal ≥ 20×) |`
      : '| batch-vs-single | - |',
    s
      ? `| nightly sync: ${s.rows} rows by count, batches of ${BATCH}, one at a time | **${s.seconds} s** (${s.rows_per_s} rows/s; slowest batch ${s.slowest_batch_ms} ms) |`
      : '| nightly-sync | - |',
  ];
  console.log(lines.join('\n'));
  writeFileSync('bench/results/stock-ops.json', JSON.stringify(results, null, 2));
  writeFileSync('bench/results/stock-ops.md', `${lines.join('\n')}\n`);
}
