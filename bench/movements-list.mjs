#!/usr/bin/env node
// npm run bench:movements-list [-- --movements 10000000 --requests 200 --runs 3]
// p50/p95 of GET /api/stock-movements (and an item's movements) over HTTP against
// the built service, and of the very same SQL statement sent directly, per filter,
// at 10 million movements; and which index each statement's plan walks. Seeds the
// ledger first when the bench tenant has none (bench/lib/seed-movements.mjs).
// Medians over several runs; writes bench/results/movements-list.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CursorCodec } from '../dist/src/common/cursor.js';
import { buildMovementListQuery, MOVEMENT_CURSOR_KIND } from '../dist/src/ledger/movement-list-query.js';
import { benchTenant, connect, openBenchDatabase } from './lib/database.mjs';
import { seedMovements, STOCK_ROWS } from './lib/seed-movements.mjs';
import { httpClient, median, percentile, startServer } from './lib/server.mjs';

const { values } = parseArgs({
  options: {
    movements: { type: 'string', default: '10000000' },
    requests: { type: 'string', default: '200' },
    runs: { type: 'string', default: '3' },
  },
});
const MOVEMENTS = Number(values.movements);
const REQUESTS = Number(values.requests);
const RUNS = Number(values.runs);

const database = await openBenchDatabase();
const client = await connect(database.url);
const tenant = await benchTenant(client, 'bench-movements');
const count = async () =>
  Number((await client.query('SELECT count(*) FROM stock_movement WHERE tenant_id = $1', [tenant.id])).rows[0].count);
let have = await count();
if (have === 0) {
  const perRow = Math.ceil(MOVEMENTS / STOCK_ROWS);
  console.log(`Seeding ${(perRow * STOCK_ROWS).toLocaleString()} movements…`);
  const seconds = await seedMovements(client, { tenantId: tenant.id, defaultWarehouseId: tenant.warehouseId, perRow });
  console.log(`Seeded in ${seconds.toFixed(1)} s`);
  have = await count();
} else if (have < MOVEMENTS) {
  throw new Error(`the bench tenant has ${have} movements, fewer than ${MOVEMENTS}: delete .data/bench-postgres`);
}

const one = async (sql, params) => (await client.query(sql, params)).rows[0];
const item = await one(`SELECT id FROM item WHERE tenant_id = $1 AND name = 'mv-item-0042'`, [tenant.id]);
const warehouse = await one(`SELECT id FROM warehouse WHERE tenant_id = $1 AND code = 'MV-2'`, [tenant.id]);
const window = await one(`SELECT (now() - interval '60 days') AS f, (now() - interval '30 days') AS t`);
// A position half a year back: about five million movements deep in the newest-first list.
const deep = await one(
  `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS ts, id::text AS id
   FROM stock_movement WHERE tenant_id = $1 AND created_at < now() - interval '182 days'
   ORDER BY created_at DESC, id DESC LIMIT 1`,
  [tenant.id],
);
const cursors = new CursorCodec(process.env.CURSOR_SECRET ?? 'inventory-service-cursor-secret');
const deepCursor = cursors.encode(MOVEMENT_CURSOR_KIND, [deep.ts, deep.id]);

const VARIANTS = [
  { name: 'no filter', query: {} },
  { name: 'item_id', query: { item_id: item.id } },
  { name: 'GET /api/items/:id/movements', query: { item_id: item.id }, path: `/api/items/${item.id}/movements` },
  { name: 'warehouse_id', query: { warehouse_id: warehouse.id } },
  { name: 'type=damaged (10%)', query: { type: 'damaged' } },
  { name: 'type=restocked (0.5%)', query: { type: 'restocked' } },
  { name: 'reference=po:42', query: { reference: 'po:42' } },
  { name: 'from/to, a 30-day window', query: { from: window.f.toISOString(), to: window.t.toISOString() } },
  { name: 'item_id + type=received', query: { item_id: item.id, type: 'received' } },
  { name: 'warehouse_id + type=damaged', query: { warehouse_id: warehouse.id, type: 'damaged' } },
  { name: 'a page 5 M deep (cursor)', query: { cursor: deepCursor } },
  { name: 'item_id, deep (cursor)', query: { item_id: item.id, cursor: deepCursor } },
];

const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const server = await startServer(database.url, { ADMIN_TOKEN });
const get = httpClient(server.url, { Authorization: `Bearer ${tenant.key}` });
const pathOf = (v) => {
  const { item_id, ...rest } = v.query;
  const query = v.path ? rest : v.query;
  return `${v.path ?? '/api/stock-movements'}?${new URLSearchParams(query)}`;
};

async function timeHttp(path) {
  const samples = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    const res = await get(path);
    samples.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`GET ${path} -> ${res.status} ${res.body}`);
  }
  return samples.sort((a, b) => a - b);
}

async function timeSql({ text, params }) {
  const samples = [];
  for (let i = 0; i < REQUESTS; i++) {
    const t0 = performance.now();
    await client.query(text, params);
    samples.push(performance.now() - t0);
  }
  return samples.sort((a, b) => a - b);
}

/** The indexes the plan walks, and what one execution read. */
async function explain({ text, params }) {
  const [
    {
      'QUERY PLAN': [plan],
    },
  ] = (await client.query(`EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${text}`, params)).rows;
  const indexes = new Set();
  let seqScan = false;
  const walk = (node) => {
    if (node['Index Name']) indexes.add(node['Index Name']);
    if (node['Node Type'] === 'Seq Scan') seqScan = true;
    for (const child of node.Plans ?? []) walk(child);
  };
  walk(plan.Plan);
  return {
    indexes: [...indexes],
    seqScan,
    execution_ms: plan['Execution Time'],
    buffers: plan.Plan['Shared Hit Blocks'] + plan.Plan['Shared Read Blocks'],
  };
}

const rows = [];
const floor = [];
let check;
try {
  for (const variant of VARIANTS) {
    for (let i = 0; i < 50; i++) await get(pathOf(variant)); // warm every path and the buffers
  }
  for (let r = 0; r < RUNS; r++) {
    const samples = [];
    for (let i = 0; i < REQUESTS; i++) {
      const t0 = performance.now();
      await get('/health/live');
      samples.push(performance.now() - t0);
    }
    samples.sort((a, b) => a - b);
    floor.push({ p50: percentile(samples, 50), p95: percentile(samples, 95) });
  }
  console.log(
    `HTTP floor (GET /health/live): p50 ${median(floor.map((f) => f.p50)).toFixed(2)} ms, p95 ${median(floor.map((f) => f.p95)).toFixed(2)} ms`,
  );
  for (const variant of VARIANTS) {
    const statement = buildMovementListQuery(tenant.id, variant.query, cursors);
    const plan = await explain(statement);
    const path = pathOf(variant);
    const page = JSON.parse((await get(path)).body);
    if (page.data.length !== 20) throw new Error(`${variant.name}: a page of ${page.data.length}, expected 20`);
    const runs = [];
    for (let r = 0; r < RUNS; r++) {
      const http = await timeHttp(path);
      const sql = await timeSql(statement);
      runs.push({
        httpP50: percentile(http, 50),
        httpP95: percentile(http, 95),
        sqlP50: percentile(sql, 50),
        sqlP95: percentile(sql, 95),
      });
    }
    const row = {
      variant: variant.name,
      service_p50_ms: median(runs.map((r) => r.httpP50)),
      service_p95_ms: median(runs.map((r) => r.httpP95)),
      sql_p50_ms: median(runs.map((r) => r.sqlP50)),
      sql_p95_ms: median(runs.map((r) => r.sqlP95)),
      plan,
    };
    rows.push(row);
    console.log(
      `${row.variant.padEnd(30)} service p50 ${row.service_p50_ms.toFixed(2).padStart(6)} p95 ${row.service_p95_ms.toFixed(2).padStart(6)} ms | ` +
        `SQL p50 ${row.sql_p50_ms.toFixed(2).padStart(6)} p95 ${row.sql_p95_ms.toFixed(2).padStart(6)} ms | ` +
        `${plan.seqScan ? 'SEQ SCAN ' : ''}${plan.indexes.join(', ')} (${plan.buffers} buffers)`,
    );
  }
  // The admin check of the whole ledger of the tenant, once: it reads every movement.
  const t0 = performance.now();
  const res = await httpClient(server.url, { Authorization: `Bearer ${ADMIN_TOKEN}` })(
    `/api/admin/ledger?tenant_id=${tenant.id}`,
  );
  const { data } = JSON.parse(res.body);
  check = {
    ms: performance.now() - t0,
    status: res.status,
    movements: data?.movements,
    problems: data?.problems.length,
  };
  console.log(
    `GET /api/admin/ledger?tenant_id=…: ${res.status} in ${(check.ms / 1000).toFixed(1)} s, ${check.movements} movements, ${check.problems} problems`,
  );
} finally {
  await server.stop();
  await client.end();
  await database.close();
}

mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/movements-list.json',
  JSON.stringify(
    {
      movements: have,
      requests: REQUESTS,
      runs: RUNS,
      http_floor: { p50_ms: median(floor.map((f) => f.p50)), p95_ms: median(floor.map((f) => f.p95)) },
      rows,
      check,
    },
    null,
    2,
  ),
);
const worst = Math.max(...rows.map((r) => r.service_p95_ms));
console.log(
  `\n${have.toLocaleString()} movements, ${REQUESTS} requests x ${RUNS} runs per filter (medians). Worst service p95 ${worst.toFixed(2)} ms`,
);
