#!/usr/bin/env node
// npm run bench [-- --runs 3 --scale 1]
//
// The whole service (auth, validation, audit, batching, …) against the naive
// database baseline, measured side by side in one run on a fresh database:
//   hot-item     64 connections, POST /api/reservations of 1 unit of one item
//   hot-item 16  the same at 16 connections: fewer callers waiting, smaller batches
//   spread       the same over 1,000 items chosen at random
//   order-flow   reserve -> create order -> confirm, 32 connections
//   flash-sale   create an order of 1 unit of the hot item (its own hold) -> confirm, 64 connections; its
//                baseline (pgbench flash-sale) runs the naive create and confirm transactions per order
//   http-floor   GET /api/me (authenticated, no database work but a cached key lookup)
//   item-read, sku-read  GET /api/items/:id, GET /api/items/sku/:sku of random spread items, 64 connections
//   availability-read, availability-read-500  POST /api/availability of 20 (500) random spread items
//   orders-read  GET /api/orders (first page of 20): not cached, the same with and without Redis
//   ... each of these reads also as "<name> redis": a second server of this build on its own database,
//   with REDIS_URL on a private redis-server the bench starts (skipped without the redis-server binary)
//   hot-item idempotent  hot-item with a fresh Idempotency-Key per request (reported, no target)
//   hot-item webhook, spread webhook  the same with one webhook endpoint subscribed to every event and a
//                local receiver: throughput, and the delivery lag (commit -> receiver) p50/p99
//   hot-item webhook batched, spread webhook batched  the same, the endpoint taking batches of up to 100 events
//   feed-read    GET /api/events pages of 100 from the start of the feed, one client: events read per second
//   baselines    pgbench running the naive transaction of hot-item (64 and 16 clients) and spread (64),
//                twice: on the service's own schema (pgbench …), and on minimal tables (pgbench-min …:
//                integer keys, no tenant, one foreign key, a plain audit row), the database's own limit
//   every service scenario also reports the server's CPU per request answered (the process and its
//                children, over the measured run) and its max RSS (warm-up and measured run)
//   orders-list  bench/orders-list.mjs at 1,000,000 orders
//   stock-ops    bench/stock-ops.mjs: a 1,000-line batch against 1,000 single adjustments, the 100,000-row sync
//   (the movement list at 10 million movements is bench/movements-list.mjs: its seed alone takes minutes)
// --compare-build <dir> runs hot-item, spread and their baselines against another build too
// (a worktree of an older commit, built): what a change costs, in the same run.
// --tracing runs http-floor, hot-item and spread against a second server of this build with tracing
// on too (OTLP/HTTP to a local receiver that drops the spans): what tracing costs, in the same run.
// Each scenario warms up, then measures for about 10 s (x --scale); runs are
// interleaved and the table shows medians of --runs. Correctness is verified
// after every service run and a violation fails the whole bench. Results:
// bench/results/<scenario>.json and summary.md.
import autocannon from 'autocannon';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { benchTenant, connect, dropDatabase, openBenchDatabase } from './lib/database.mjs';
import { createMinimalTables, minimalScript } from './lib/minimal-baseline.mjs';
import { sampleRss, treeCpuMs } from './lib/process-stats.mjs';
import { httpClient, median, startServer } from './lib/server.mjs';
import { startOtlpSink } from './lib/otlp-sink.mjs';
import { startReceiver } from './lib/webhook-receiver.mjs';
import { checkLedger } from '../dist/src/ledger/ledger-check.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    scale: { type: 'string', default: '1' },
    'skip-orders-list': { type: 'boolean', default: false },
    'skip-stock-ops': { type: 'boolean', default: false },
    // e.g. --only spread,pgbench-spread while working on one scenario (implies --skip-orders-list)
    only: { type: 'string' },
    // Another build of the service (a checkout with dist/ built, e.g. a worktree of an older commit):
    // hot-item, spread and their pgbench baselines run against it too, on a database of its own
    // migrated by it, interleaved with the others: what a change costs, measured in the same run.
    'compare-build': { type: 'string' },
    // http-floor, hot-item and spread against a second server with tracing on, on a database of its own
    // (e.g. --only http-floor,hot-item --tracing: each of them with tracing off and on, interleaved).
    tracing: { type: 'boolean', default: false },
    // http-floor, hot-item and spread against a second server of this build with WORKERS=n, on a database
    // of its own (e.g. --only http-floor,hot-item,spread --workers 2: 1 worker against n, interleaved).
    workers: { type: 'string' },
  },
});
const ONLY = values.only ? new Set(values.only.split(',')) : undefined;
// "hot-item traced" and "hot-item 2 workers" are run when hot-item is, "item-read redis" when item-read is.
const wanted = (name) =>
  !ONLY ||
  ONLY.has(
    name
      .replace(/ (traced|redis)$/, '')
      .replace(/ \d+ workers$/, '')
      .replace(/\W+/g, '-'),
  );
const RUNS = Number(values.runs);
const SCALE = Number(values.scale);
// Every scenario warms up for WARMUP_SECONDS (not counted), then measures for about
// MEASURE_SECONDS (see measure()).
const WARMUP_SECONDS = 3;
const MEASURE_SECONDS = Math.max(3, Math.round(10 * SCALE));
// The batched webhook scenarios' endpoint takes up to this many events per message.
const BENCH_BATCH = 100;

mkdirSync('bench/results', { recursive: true });
const dbName = `bench_${Date.now()}`;
const database = await openBenchDatabase(dbName);
// The bench's webhook receiver is on loopback.
// No read cache unless a target asks for one (REDIS_URL of the bench's environment is not passed on).
const SERVER_ENV = {
  RATE_LIMIT_PER_MINUTE: '0',
  DB_POOL_SIZE: '8',
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  REDIS_URL: undefined,
};
const main = await openTarget(database.url);
const receiver = await startReceiver();
const webhook = await benchWebhook(main);
const { client, hot, spread } = main;
const pgbench = findPgbench();
if (pgbench) await createMinimalTables(client);
const COMPARE = values['compare-build'];
const before = COMPARE ? await openComparedTarget(COMPARE) : undefined;
const otlpSink = values.tracing ? await startOtlpSink() : undefined;
const traced = otlpSink ? await openTracedTarget(otlpSink.url) : undefined;
const WORKERS = values.workers ? Number(values.workers) : undefined;
if (WORKERS !== undefined && !(Number.isInteger(WORKERS) && WORKERS >= 2)) throw new Error('--workers takes n >= 2');
const clustered = WORKERS ? await openClusteredTarget(WORKERS) : undefined;
const READS = ['item-read', 'sku-read', 'availability-read', 'availability-read 500', 'orders-read'];
const redis = READS.some(wanted) ? await startBenchRedis() : undefined;
const cached = redis ? await openCachedTarget(redis.url) : undefined;
const results = {};
let failed = false;

try {
  // Rounds: run i of every scenario, then run i+1 of every scenario, so that a
  // drift of this shared machine hits the service and its baseline alike.
  // The baselines next to their service scenario; none without pgbench.
  const baselines = (...list) => (pgbench ? list.map(([name, run]) => [name, run, { verify: false }]) : []);
  const scenarios = [
    ['http-floor', httpFloor(main)],

    ['hot-item', hotItem(main)],
    ...baselines(
      ['pgbench hot-item', () => runPgbench(sameSchemaScript('hot', main), main)],
      ['pgbench-min hot-item', () => runPgbench(minimalScript('hot'), main)],
    ),
    ['hot-item 16', hotItem(main, 16)],
    ...baselines(
      ['pgbench hot-item 16', () => runPgbench(sameSchemaScript('hot', main), main, 16)],
      ['pgbench-min hot-item 16', () => runPgbench(minimalScript('hot'), main, 16)],
    ),
    ['hot-item webhook', withWebhook(hotItem(main))],
    ['hot-item webhook batched', withWebhook(hotItem(main), BENCH_BATCH)],
    ['spread', spreadItems(main)],
    ...baselines(
      ['pgbench spread', () => runPgbench(sameSchemaScript('spread', main), main)],
      ['pgbench-min spread', () => runPgbench(minimalScript('spread'), main)],
    ),
    ['spread webhook', withWebhook(spreadItems(main))],
    ['spread webhook batched', withWebhook(spreadItems(main), BENCH_BATCH)],
    ['feed-read', feedRead, { verify: false }],

    [
      'order-flow',
      async (tag) => {
        const r = await measure((ref) => ({ connections: 32, requests: orderFlow(ref) }), { tag });
        return completedOrders(tag, r);
      },
    ],

    ['flash-sale', flashSale(main)],
    ...baselines(['pgbench flash-sale', () => runPgbench(flashSaleScript(main), main)]),

    // Not one of the issue's scenarios: hot-item as a careful client sends it, with a
    // fresh Idempotency-Key per request. Such a request runs in a transaction of its
    // own (its stored response commits with its effect), so it is not group-committed.
    [
      'hot-item idempotent',
      async (tag) => {
        const r = await measure(
          (ref) =>
            reservations(
              ref,
              () => hot,
              () => ({ 'Idempotency-Key': randomUUID() }),
            ),
          { tag },
        );
        await verifyReservations(tag, r['2xx']);
        return served(r);
      },
    ],
  ];
  if (before) {
    scenarios.push(
      ['hot-item before', hotItem(before)],
      ['spread before', spreadItems(before)],
      ...baselines(
        ['pgbench hot-item before', () => runPgbench(sameSchemaScript('hot', before), before)],
        ['pgbench spread before', () => runPgbench(sameSchemaScript('spread', before), before)],
      ),
    );
  }
  scenarios.push(
    ['item-read', itemReads(main, 'id')],
    ['sku-read', itemReads(main, 'sku')],
    ['availability-read', itemReads(main, 'availability', 20)],
    // 500 items a call saturate the database without the cache: its timeouts are reported, not a failed bench.
    ['availability-read 500', itemReads(main, 'availability', 500), { verify: false }],
    ['orders-read', ordersRead(main)],
  );
  if (cached) {
    scenarios.push(
      ['item-read redis', itemReads(cached, 'id')],
      ['sku-read redis', itemReads(cached, 'sku')],
      ['availability-read redis', itemReads(cached, 'availability', 20)],
      ['availability-read 500 redis', itemReads(cached, 'availability', 500), { verify: false }],
      ['orders-read redis', ordersRead(cached)],
      // What the cache costs writes: each commit replaces the versions of the items it touched, in Redis.
      ['hot-item redis', hotItem(cached)],
      ['spread redis', spreadItems(cached)],
    );
  }
  if (traced) {
    scenarios.push(
      ['http-floor traced', exported(httpFloor(traced))],
      ['hot-item traced', exported(hotItem(traced))],
      ['spread traced', exported(spreadItems(traced))],
    );
  }
  if (clustered) {
    scenarios.push(
      [`http-floor ${WORKERS} workers`, httpFloor(clustered)],
      [`hot-item ${WORKERS} workers`, hotItem(clustered)],
      [`spread ${WORKERS} workers`, spreadItems(clustered)],
    );
  }
  if (!pgbench) {
    console.log('pgbench not found: the baselines are skipped. On Debian 12 it ships with the server package:');
    console.log('  apt-get update && apt-get install -y postgresql-15   (then re-run npm run bench)');
  }
  const selected = scenarios.filter(([name]) => wanted(name));
  const runs = new Map(selected.map(([name]) => [name, []]));
  for (let i = 0; i < RUNS; i++) {
    for (const [name, run, { verify = true } = {}] of selected) {
      const r = await run(`${name.replace(/\W+/g, '-')}-${Date.now()}-${i}`);
      runs.get(name).push(r);
      console.log(
        `${name.padEnd(18)} run ${i + 1}/${RUNS}: ${r.rps.toFixed(0).padStart(6)}/s  p50 ${fmt(r.p50)}  p99 ${fmt(r.p99)}  errors ${r.errors}` +
          (r.cpu_ms_per_request !== undefined ? `  server CPU ${r.cpu_ms_per_request.toFixed(2)} ms/req` : '') +
          (r.max_rss_mb ? `  max RSS ${r.max_rss_mb} MB` : '') +
          (r.lag_p99 !== undefined
            ? `  webhook lag p50 ${fmt(r.lag_p50)} p99 ${fmt(r.lag_p99)} (${r.delivered} delivered)`
            : '') +
          (r.exports !== undefined ? `  OTLP exports ${r.exports} (${r.export_kb} kB)` : ''),
      );
      if (verify && r.errors > 0) throw new Error(`${name}: ${r.errors} failed requests`);
    }
  }
  for (const [name, list] of runs) results[name] = summarize(name, list);
} catch (err) {
  failed = true;
  console.error(`\nBENCH FAILED: ${err instanceof Error ? err.message : err}`);
} finally {
  for (const target of [main, before, traced, clustered, cached]) {
    if (!target) continue;
    await target.server.stop();
    await target.client.end();
  }
  redis?.stop();
  if (cached && database.kind === 'external') await dropDatabase(database.url, `${dbName}_cached`);
  await receiver.close();
  await otlpSink?.close();
  if (traced && database.kind === 'external') await dropDatabase(database.url, `${dbName}_traced`);
  if (clustered && database.kind === 'external') await dropDatabase(database.url, `${dbName}_workers`);
  await database.close();
  if (database.kind === 'external') await dropDatabase(database.url, dbName);
}

if (!failed && !values['skip-orders-list'] && !ONLY) {
  const child = spawnSync(process.execPath, ['bench/orders-list.mjs', '--runs', String(RUNS)], { stdio: 'inherit' });
  if (child.status !== 0) failed = true;
}
// The stock operations (a 1,000-line batch against 1,000 single adjustments, the 100,000-row sync).
if (!failed && !values['skip-stock-ops'] && !ONLY) {
  const child = spawnSync(process.execPath, ['bench/stock-ops.mjs', '--runs', String(RUNS)], { stdio: 'inherit' });
  if (child.status !== 0) failed = true;
}

report();
process.exit(failed ? 1 : 0);

// ---------------------------------------------------------------------------

/**
 * The bench's fixtures on a migrated database: a tenant, one hot item and 1,000
 * spread items with stock that never runs out, and the server. `server` starts
 * it (the database's own build migrates it on start when it is not this one).
 */
async function openTarget(url, server = () => startServer(url, SERVER_ENV)) {
  const started = await server();
  const c = await connect(url);
  const t = await benchTenant(c, 'bench');
  const ledger = (await c.query(`SELECT to_regclass('stock_movement') IS NOT NULL AS on`)).rows[0].on;
  const target = { url, client: c, tenant: t, ledger, server: started, auth: authOf(t) };
  target.hot = await createItem(target, 'hot-item', 100_000_000);
  target.spread = [];
  for (let i = 0; i < 1000; i++) {
    target.spread.push(await createItem(target, `spread-${String(i).padStart(4, '0')}`, 10_000_000));
  }
  return target;
}

/** The same fixtures on a database of its own, for the build in `dir`, which migrates it and serves it. */
async function openComparedTarget(dir) {
  const name = `${dbName}_before`;
  await client.query(`CREATE DATABASE ${name}`);
  const url = new URL(database.url);
  url.pathname = `/${name}`;
  return openTarget(url.toString(), () => startServer(url.toString(), SERVER_ENV, { cwd: dir }));
}

/** The same fixtures on a database of its own, for this build with tracing on, exporting to `otlpUrl`. */
async function openTracedTarget(otlpUrl) {
  const name = `${dbName}_traced`;
  await client.query(`CREATE DATABASE ${name}`);
  const url = new URL(database.url);
  url.pathname = `/${name}`;
  // The SDK's defaults otherwise (OTLP over HTTP with protobuf, batches of 512 spans, every request sampled).
  return openTarget(url.toString(), () =>
    startServer(url.toString(), { ...SERVER_ENV, OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl }),
  );
}

/**
 * The same fixtures on a database of its own, for this build with its read cache on `redisUrl`. The
 * uncached reads run on the main server: the same build and fixtures, without REDIS_URL.
 */
async function openCachedTarget(redisUrl) {
  const name = `${dbName}_cached`;
  await client.query(`CREATE DATABASE ${name}`);
  const url = new URL(database.url);
  url.pathname = `/${name}`;
  const target = await openTarget(url.toString(), () =>
    startServer(url.toString(), { ...SERVER_ENV, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `bench:${dbName}:` }),
  );
  return target;
}

/** A private redis-server on a free port (never the machine's 6379), nothing persisted; undefined without the binary. */
async function startBenchRedis() {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!found) {
    console.log('redis-server not found: the "... redis" read scenarios are skipped (apt-get install redis-server)');
    return undefined;
  }
  const { createServer } = await import('node:net');
  const port = await new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const p = srv.address().port;
      srv.close(() => resolve(p));
    });
  });
  const child = spawn(found, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { url: `redis://127.0.0.1:${port}`, stop: () => child.kill('SIGTERM') };
}

/**
 * 64 connections reading random spread items: by id, by SKU, or `count` of them per POST /api/availability.
 * Every answer must be a 200 (an unknown item would be a 404: counted as an error).
 */
function itemReads(target, kind, count = 1) {
  return async (tag) => {
    const pick = () => target.spread[Math.floor(Math.random() * target.spread.length)];
    const skuOf = new Map(target.spread.map((id, i) => [id, `SPREAD-${String(i).padStart(4, '0')}`]));
    const request =
      kind === 'id'
        ? { method: 'GET', setupRequest: (req) => ({ ...req, path: `/api/items/${pick()}` }) }
        : kind === 'sku'
          ? { method: 'GET', setupRequest: (req) => ({ ...req, path: `/api/items/sku/${skuOf.get(pick())}` }) }
          : {
              method: 'POST',
              path: '/api/availability',
              setupRequest: (req) => ({
                ...req,
                body: JSON.stringify({ items: Array.from({ length: count }, () => ({ item_id: pick() })) }),
              }),
            };
    const r = await measure({ connections: 64, requests: [request] }, { tag, target });
    return { ...served(r), ...(count > 1 ? { items_per_s: (r['2xx'] * count) / seconds(r) } : {}) };
  };
}

/** 64 connections on GET /api/orders (the first page of 20): a list, never cached. */
function ordersRead(target) {
  return async (tag) => {
    const r = await measure({ path: '/api/orders?limit=20', method: 'GET', connections: 64 }, { tag, target });
    return served(r);
  };
}

/** The same fixtures on a database of its own, for this build with WORKERS=n (a cluster primary and n workers). */
async function openClusteredTarget(n) {
  const name = `${dbName}_workers`;
  await client.query(`CREATE DATABASE ${name}`);
  const url = new URL(database.url);
  url.pathname = `/${name}`;
  // DB_POOL_SIZE per worker: the n workers together hold as many connections as the single process.
  const pool = String(Math.max(1, Math.round(Number(SERVER_ENV.DB_POOL_SIZE) / n)));
  return openTarget(url.toString(), () =>
    startServer(url.toString(), { ...SERVER_ENV, WORKERS: String(n), DB_POOL_SIZE: pool }),
  );
}

/** `run` on the traced server, with what it exported meanwhile; none at all fails the run (tracing was not on). */
function exported(run) {
  return async (tag) => {
    const before = otlpSink.counts();
    const r = await run(tag);
    // The last batch leaves within the batch processor's 5 s schedule: counted here, and not sent while the
    // next scenario runs on the same cores.
    await new Promise((resolve) => setTimeout(resolve, 5500));
    const after = otlpSink.counts();
    const exports = after.requests - before.requests;
    if (exports === 0) throw new Error(`${tag}: no spans were exported`);
    return { ...r, exports, export_kb: Math.round((after.bytes - before.bytes) / 1024) };
  };
}

function authOf(t) {
  return { Authorization: `Bearer ${t.key}`, 'Content-Type': 'application/json' };
}

/** An item with `qty` units in the default warehouse, and the `received` movement the ledger insists on. */
async function createItem(target, name, qty) {
  const { client: c, tenant: t } = target;
  const item = (
    await c.query(`INSERT INTO item (tenant_id, name, sku) VALUES ($1, $2, upper($2)) RETURNING id`, [t.id, name])
  ).rows[0];
  const params = [t.id, item.id, t.warehouseId, qty];
  if (!target.ledger) {
    await c.query(`INSERT INTO stock (tenant_id, item_id, warehouse_id, on_hand) VALUES ($1, $2, $3, $4)`, params);
    return item.id;
  }
  await c.query(
    `WITH s AS (INSERT INTO stock (tenant_id, item_id, warehouse_id, on_hand, movement_seq) VALUES ($1, $2, $3, $4, 1)
                RETURNING tenant_id, item_id, warehouse_id, on_hand)
     INSERT INTO stock_movement (tenant_id, item_id, warehouse_id, seq, type, on_hand_delta, reserved_delta,
                                 on_hand_after, reserved_after, reason, actor, request_id)
     SELECT tenant_id, item_id, warehouse_id, 1, 'received', on_hand, 0, on_hand, 0, 'bench fixture', 'bench', 'bench'
     FROM s`,
    params,
  );
  return item.id;
}

/** 64 connections on GET /api/me: an authenticated request that does no database work (the key is cached). */
function httpFloor(target) {
  return async (tag) => {
    const r = await measure({ path: '/api/me', method: 'GET', connections: 64 }, { tag, target });
    return served(r);
  };
}

/** `connections` connections reserving 1 unit of the hot item. */
function hotItem(target, connections = 64) {
  return async (tag) => {
    const r = await measure(
      (ref) => ({
        path: '/api/reservations',
        method: 'POST',
        connections,
        body: JSON.stringify({ lines: [{ item_id: target.hot, quantity: 1 }], reference: ref }),
      }),
      { tag, target },
    );
    await verifyReservations(tag, r['2xx'], target);
    return served(r);
  };
}

/** 64 connections reserving 1 unit of one of the 1,000 spread items at random. */
function spreadItems(target) {
  return async (tag) => {
    const pick = () => target.spread[Math.floor(Math.random() * target.spread.length)];
    const r = await measure((ref) => reservations(ref, pick), { tag, target });
    await verifyReservations(tag, r['2xx'], target);
    return served(r);
  };
}

/**
 * One endpoint for every event type, at the bench's receiver, inactive between
 * the webhook scenarios: the others run without it.
 */
async function benchWebhook(target) {
  const res = await fetch(`${target.server.url}/api/webhooks`, {
    method: 'POST',
    headers: target.auth,
    body: JSON.stringify({ url: receiver.url, description: 'bench' }),
  });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${JSON.stringify(body)}`);
  receiver.setSecret(body.data.secret);
  await setWebhookActive(target, body.data.id, false);
  return body.data.id;
}

/** On: from the feed's head (no backlog of the runs without it), with that batch size; off: nothing more is fanned out. */
async function setWebhookActive({ client: c }, id, active, batchSize = 1) {
  await c.query(
    active
      ? `UPDATE webhook_endpoint SET active = true, batch_size = $2, cursor_txid = pg_current_xact_id(), cursor_id = 0
         WHERE id = $1`
      : `UPDATE webhook_endpoint SET active = false WHERE id = $1`,
    active ? [id, batchSize] : [id],
  );
}

/**
 * `run` with the endpoint on; then waits until everything was delivered, and
 * adds the lag of each event, from its transaction (occurred_at) to its first
 * arrival at the receiver, over the warm-up and the measured run.
 */
function withWebhook(run, batchSize = 1) {
  return async (tag) => {
    receiver.reset();
    await setWebhookActive(main, webhook, true, batchSize);
    const r = await run(tag);
    const deadline = Date.now() + 60_000;
    let left;
    do {
      await new Promise((resolve) => setTimeout(resolve, 200));
      left = Number(
        (
          await client.query(
            `SELECT (SELECT count(*) FROM webhook_delivery WHERE endpoint_id = $1 AND status = 'pending')
                  + (SELECT count(*) FROM event e, webhook_endpoint w
                     WHERE w.id = $1 AND e.tenant_id = w.tenant_id AND (e.txid, e.id) > (w.cursor_txid, w.cursor_id)) AS n`,
            [webhook],
          )
        ).rows[0].n,
      );
    } while (left > 0 && Date.now() < deadline);
    await setWebhookActive(main, webhook, false);
    const lags = [...receiver.arrivals.values()].sort((a, b) => a - b);
    const { unverified } = receiver.checks();
    if (unverified > 0) throw new Error(`${tag}: ${unverified} webhook signatures did not verify`);
    return {
      ...r,
      delivered: lags.length,
      undelivered: left,
      lag_p50: lags[Math.floor(lags.length * 0.5)],
      lag_p99: lags[Math.floor(lags.length * 0.99)],
      errors: r.errors + left,
    };
  };
}

/** One client reading the whole feed from its start, 100 events a page, for MEASURE_SECONDS at most. */
async function feedRead() {
  const get = httpClient(main.server.url, { Authorization: main.auth.Authorization });
  let after;
  let events = 0;
  const pages = [];
  const usage = serverUsage(main);
  const started = Date.now();
  while (Date.now() - started < MEASURE_SECONDS * 1000) {
    const t0 = performance.now();
    const res = await get(`/api/events?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`);
    pages.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`feed: ${res.status} ${res.body.slice(0, 200)}`);
    const body = JSON.parse(res.body);
    events += body.data.length;
    after = body.page.next_cursor;
    if (body.data.length === 0) break;
  }
  const elapsed = (Date.now() - started) / 1000;
  usage.measured(pages.length);
  pages.sort((a, b) => a - b);
  return {
    rps: events / elapsed,
    p50: pages[Math.floor(pages.length * 0.5)],
    p99: pages[Math.floor(pages.length * 0.99)],
    errors: 0,
    pages: pages.length,
    ...usage.stop(),
  };
}

/** A service run's figures: answers per second (2xx), latency, failures, and what the server used. */
function served(r) {
  return {
    rps: r['2xx'] / seconds(r),
    p50: r.latency.p50,
    p99: r.latency.p99,
    errors: r.non2xx + r.errors,
    ...r.server,
  };
}

/**
 * What the target's server (the process and its children) uses from now: its RSS
 * sampled until stop(), and its CPU time from start() to measured(requests), per
 * request answered. Work the server still does after the last answer (webhook
 * deliveries, a batch's commit) is not counted.
 */
function serverUsage(target) {
  const { pid } = target.server;
  const rss = sampleRss(pid);
  let cpuStart = treeCpuMs(pid);
  let cpuMsPerRequest;
  return {
    start: () => (cpuStart = treeCpuMs(pid)),
    measured(requests) {
      const cpuEnd = treeCpuMs(pid);
      if (cpuStart !== undefined && cpuEnd !== undefined && requests > 0)
        cpuMsPerRequest = (cpuEnd - cpuStart) / requests;
    },
    stop: () => ({ cpu_ms_per_request: cpuMsPerRequest, max_rss_mb: rss.stop() }),
  };
}

function summarize(name, runs) {
  const summary = {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    errors: runs.reduce((s, r) => s + r.errors, 0),
    ...(runs[0].max_rss_mb !== undefined ? { max_rss_mb: Math.max(...runs.map((r) => r.max_rss_mb)) } : {}),
    ...(runs[0].cpu_ms_per_request !== undefined
      ? { cpu_ms_per_request: median(runs.map((r) => r.cpu_ms_per_request)) }
      : {}),
    ...(runs[0].lag_p99 !== undefined
      ? { lag_p50: median(runs.map((r) => r.lag_p50)), lag_p99: median(runs.map((r) => r.lag_p99)) }
      : {}),
    runs,
  };
  writeFileSync(
    `bench/results/${name.replace(/\W+/g, '-')}.json`,
    JSON.stringify({ scenario: name, ...summary }, null, 2),
  );
  return summary;
}

/**
 * A warm-up of WARMUP_SECONDS at the same load (its responses are not counted;
 * its effects are still checked by the invariants), then the measured run. The
 * measured run is a fixed number of requests sized from the warm-up's rate to
 * last about MEASURE_SECONDS, rather than a timer that cuts connections: a cut
 * request may still commit on the server, and then "successful responses =
 * rows created" could not be checked exactly. `options(ref)` builds the load
 * for a reference (the tag, or the tag + "-warmup").
 */
async function measure(options, { tag = 'untagged', target = main } = {}) {
  const build = typeof options === 'function' ? options : () => options;
  // The server's RSS over the warm-up and the measured run; its CPU over the measured run only.
  const usage = serverUsage(target);
  const warm = await cannon({ ...build(`${tag}-warmup`), duration: WARMUP_SECONDS }, target);
  // Let the requests the warm-up cut off finish before measuring.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const rate = (warm['2xx'] + warm.non2xx) / warm.duration;
  const load = build(tag);
  const amount = Math.max(load.connections * 20, Math.round(rate * MEASURE_SECONDS));
  usage.start();
  // sampleInt: autocannon notices the end of a fixed-amount run at its next sample, so sample often.
  const result = await cannon({ ...load, amount, sampleInt: 50 }, target);
  usage.measured(result['2xx'] + result.non2xx);
  return { ...result, server: usage.stop() };
}

function cannon({ path = '', ...options }, target = main) {
  return new Promise((resolve, reject) => {
    autocannon({ url: `${target.server.url}${path}`, headers: target.auth, ...options }, (err, result) =>
      err ? reject(err) : resolve(result),
    );
  });
}

/** 64 connections reserving 1 unit of `item()` each time, with the run's reference (and `headers()`). */
function reservations(ref, item, headers = () => ({})) {
  return {
    connections: 64,
    requests: [
      {
        method: 'POST',
        path: '/api/reservations',
        setupRequest: (req) => ({
          ...req,
          headers: { ...req.headers, ...headers() },
          body: JSON.stringify({ lines: [{ item_id: item(), quantity: 1 }], reference: ref }),
        }),
      },
    ],
  };
}

/** Per virtual user: an order of 1 unit of the hot item with its own hold, then its confirmation (64 connections). */
function flashSale(target) {
  return async (tag) => {
    const r = await measure(
      (ref) => ({
        connections: 64,
        requests: [
          {
            method: 'POST',
            path: '/api/orders',
            body: JSON.stringify({
              currency: 'EUR',
              customer_ref: ref,
              lines: [{ item_id: target.hot, quantity: 1, unit_price: 1299 }],
            }),
            onResponse: (status, body, context) => {
              context.order = status === 201 ? JSON.parse(body).data.id : undefined;
            },
          },
          confirmOrder(),
        ],
      }),
      { tag, target },
    );
    return completedOrders(tag, r, target);
  };
}

/** Confirms the order the virtual user's previous request created. */
function confirmOrder() {
  return {
    method: 'POST',
    setupRequest: (req, context) => ({
      ...req,
      path: `/api/orders/${context.order}/transitions`,
      body: '{"to":"confirmed"}',
    }),
  };
}

/**
 * An order run's figures: confirmed orders (of the run's customer_ref, counted in
 * the database) per second, once the invariants are checked. (The last user's
 * confirm may be cut off by the request count: its order stays pending.)
 */
async function completedOrders(tag, r, target = main) {
  const { client: c, tenant: t } = target;
  const { rows } = await c.query(
    `SELECT count(*)::int AS confirmed FROM orders WHERE tenant_id = $1 AND customer_ref = $2 AND status = 'confirmed'`,
    [t.id, tag],
  );
  const { confirmed } = rows[0];
  await verifyInvariants(target);
  return { ...served(r), rps: confirmed / seconds(r), confirmed };
}

/** Reserve -> order from the reservation -> confirm, per virtual user. */
function orderFlow(tag) {
  const pick = () => spread[Math.floor(Math.random() * spread.length)];
  return [
    {
      method: 'POST',
      path: '/api/reservations',
      setupRequest: (req, context) => {
        context.item = pick();
        return { ...req, body: JSON.stringify({ lines: [{ item_id: context.item, quantity: 1 }] }) };
      },
      onResponse: (status, body, context) => {
        context.reservation = status === 201 ? JSON.parse(body).data.id : undefined;
      },
    },
    {
      method: 'POST',
      path: '/api/orders',
      setupRequest: (req, context) => ({
        ...req,
        body: JSON.stringify({
          currency: 'EUR',
          customer_ref: tag,
          reservation_id: context.reservation,
          prices: [{ item_id: context.item, unit_price: 1299 }],
        }),
      }),
      onResponse: (status, body, context) => {
        context.order = status === 201 ? JSON.parse(body).data.id : undefined;
      },
    },
    confirmOrder(),
  ];
}

async function verifyReservations(tag, ok, target = main) {
  const { client: c, tenant: t } = target;
  const rows = Number(
    (await c.query(`SELECT count(*) FROM reservation WHERE tenant_id = $1 AND reference = $2`, [t.id, tag])).rows[0]
      .count,
  );
  if (rows !== ok) throw new Error(`${tag}: ${ok} successful responses but ${rows} reservations created`);
  await verifyInvariants(target);
}

async function verifyInvariants({ client: c, tenant: t, ledger } = main) {
  const bad = await c.query(
    `SELECT s.item_id, s.warehouse_id, s.on_hand, s.reserved, COALESCE(a.held, 0) AS held
     FROM stock s
     LEFT JOIN (SELECT l.item_id, l.warehouse_id, sum(l.quantity) AS held
                FROM reservation_line l JOIN reservation r ON r.id = l.reservation_id
                WHERE r.status = 'active' AND l.tenant_id = $1 GROUP BY 1, 2) a
       ON a.item_id = s.item_id AND a.warehouse_id = s.warehouse_id
     WHERE s.tenant_id = $1 AND (s.reserved <> COALESCE(a.held, 0) OR s.reserved > s.on_hand)`,
    [t.id],
  );
  if (bad.rowCount > 0)
    throw new Error(`invariant violated on ${bad.rowCount} stock row(s): ${JSON.stringify(bad.rows[0])}`);
  if (!ledger) return;
  // The ledger explains every unit: the service's own check, on this client.
  const books = await checkLedger({ query: async (text, params) => (await c.query(text, params)).rows }, t.id);
  if (books.problems.length > 0) throw new Error(`ledger: ${JSON.stringify(books.problems[0])}`);
}

/**
 * The naive transaction per reservation, as a pgbench script on the service's own
 * schema: the same rows the service writes (with the ledger, its movement and the
 * row's number). 'hot' reserves the hot item, 'spread' one of the 1,000 at random.
 */
function sameSchemaScript(kind, { hot: hotItem, ledger }) {
  const itemSql =
    kind === 'hot'
      ? `\\set dummy 0\n`
      : `\\set n random(0, 999)\nSELECT id AS item FROM item WHERE tenant_id = :tenant AND sku = 'SPREAD-' || lpad(:n::text, 4, '0') \\gset\n`;
  const item = kind === 'hot' ? `'${hotItem}'` : ':item';
  const movement = ledger
    ? `UPDATE stock SET reserved = reserved + 1, movement_seq = movement_seq + 1, updated_at = now() WHERE item_id = ${item} AND warehouse_id = :wh RETURNING on_hand, reserved, movement_seq \\gset
INSERT INTO stock_movement (tenant_id, item_id, warehouse_id, seq, type, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reference, actor, request_id) VALUES (:tenant, ${item}, :wh, :movement_seq, 'reserved', 0, 1, :on_hand, :reserved, 'reservation:' || :rid::text, 'pgbench', 'pgbench');
`
    : `UPDATE stock SET reserved = reserved + 1, updated_at = now() WHERE item_id = ${item} AND warehouse_id = :wh;
`;
  return `${itemSql}BEGIN;
SELECT on_hand, reserved FROM stock WHERE item_id = ${item} AND warehouse_id = :wh FOR UPDATE;
INSERT INTO reservation (tenant_id, reference, expires_at) VALUES (:tenant, 'pgbench', now() + interval '10 minutes') RETURNING id AS rid \\gset
INSERT INTO reservation_line (reservation_id, tenant_id, item_id, warehouse_id, quantity) VALUES (:rid, :tenant, ${item}, :wh, 1);
${movement}INSERT INTO audit_log (tenant_id, actor, action, object_type, object_id, new_value, request_id) VALUES (:tenant, 'pgbench', 'reservation.created', 'reservation', :rid, '{}', 'pgbench');
COMMIT;
`;
}

/**
 * The naive flash-sale order, a pgbench script of two transactions (tps counts
 * the pair as one order): one creates it (the hot stock row locked, its hold with
 * the movement, the reservation and its line, the order, its line, its history
 * and the audit rows the service writes), the next confirms it (order,
 * reservation and stock row locked in the service's order, the units deducted
 * with their movement, the statuses, history and audit rows).
 */
function flashSaleScript({ hot: hotItem }) {
  const item = `'${hotItem}'`;
  const audit = (rows) =>
    `INSERT INTO audit_log (tenant_id, actor, action, object_type, object_id, new_value, request_id) VALUES ${rows
      .map(([action, type, id]) => `(:tenant, 'pgbench', '${action}', '${type}', ${id}, '{}', 'pgbench')`)
      .join(', ')};`;
  const movement = (type, onHand, reserved, reference) =>
    `UPDATE stock SET on_hand = on_hand + ${onHand}, reserved = reserved + ${reserved}, movement_seq = movement_seq + 1, updated_at = now() WHERE item_id = ${item} AND warehouse_id = :wh RETURNING on_hand, reserved, movement_seq \\gset
INSERT INTO stock_movement (tenant_id, item_id, warehouse_id, seq, type, on_hand_delta, reserved_delta, on_hand_after, reserved_after, reference, actor, request_id) VALUES (:tenant, ${item}, :wh, :movement_seq, '${type}', ${onHand}, ${reserved}, :on_hand, :reserved, ${reference}, 'pgbench', 'pgbench');`;
  return `BEGIN;
SELECT on_hand, reserved FROM stock WHERE item_id = ${item} AND warehouse_id = :wh FOR UPDATE;
INSERT INTO reservation (tenant_id, reference, expires_at) VALUES (:tenant, 'pgbench', now() + interval '10 minutes') RETURNING id AS rid \\gset
INSERT INTO reservation_line (reservation_id, tenant_id, item_id, warehouse_id, quantity) VALUES (:rid, :tenant, ${item}, :wh, 1);
${movement('reserved', 0, 1, `'reservation:' || :rid::text`)}
INSERT INTO orders (tenant_id, currency, total_amount, customer_ref, reservation_id) VALUES (:tenant, 'EUR', 1299, 'pgbench', :rid) RETURNING id AS oid \\gset
INSERT INTO order_line (order_id, tenant_id, item_id, warehouse_id, quantity, unit_price, line_total) VALUES (:oid, :tenant, ${item}, :wh, 1, 1299, 1299);
INSERT INTO order_status_history (order_id, tenant_id, from_status, to_status, actor) VALUES (:oid, :tenant, NULL, 'pending', 'pgbench');
${audit([
  ['reservation.created', 'reservation', ':rid'],
  ['order.created', 'order', ':oid'],
])}
COMMIT;
BEGIN;
SELECT status FROM orders WHERE id = :oid FOR UPDATE;
SELECT status FROM reservation WHERE id = :rid FOR UPDATE;
SELECT on_hand, reserved FROM stock WHERE item_id = ${item} AND warehouse_id = :wh FOR UPDATE;
${movement('committed', -1, -1, `'order:' || :oid::text`)}
UPDATE reservation SET status = 'committed', updated_at = now() WHERE id = :rid;
UPDATE orders SET status = 'confirmed', updated_at = now() WHERE id = :oid;
INSERT INTO order_status_history (order_id, tenant_id, from_status, to_status, actor) VALUES (:oid, :tenant, 'pending', 'confirmed', 'pgbench');
${audit([
  ['stock.deducted', 'item', item],
  ['reservation.committed', 'reservation', ':rid'],
  ['order.status_changed', 'order', ':oid'],
])}
COMMIT;
`;
}

/** `script` run by pgbench with `clients` clients on the target's database (`:tenant` and `:wh` are its). */
function runPgbench(script, { tenant: t, url: databaseUrl }, clients = 64) {
  const dir = mkdtempSync(join(tmpdir(), 'pgbench-'));
  writeFileSync(join(dir, 'script.sql'), script);
  const url = new URL(databaseUrl);
  const pgbenchFor = (seconds, logged) =>
    execFileSync(
      pgbench,
      [
        '-n',
        '-M',
        'prepared',
        '-c',
        String(clients),
        '-j',
        '2',
        '-T',
        String(seconds),
        '-f',
        join(dir, 'script.sql'),
        ...(logged ? ['-l', '--log-prefix', join(dir, 'log')] : []),
        '-D',
        `tenant=${t.id}`,
        '-D',
        `wh=${t.warehouseId}`,
        url.pathname.slice(1),
      ],
      {
        env: {
          ...process.env,
          PGHOST: url.hostname,
          PGPORT: url.port,
          PGUSER: decodeURIComponent(url.username),
          PGPASSWORD: decodeURIComponent(url.password),
        },
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
  pgbenchFor(WARMUP_SECONDS, false); // warm-up, as for the service
  const out = pgbenchFor(MEASURE_SECONDS, true);
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1]);
  const latencies = readdirSync(dir)
    .filter((f) => f.startsWith('log'))
    .flatMap((f) =>
      readFileSync(join(dir, f), 'utf8')
        .trim()
        .split('\n')
        .map((line) => Number(line.split(' ')[2]) / 1000),
    )
    .sort((a, b) => a - b);
  const failedTx = Number(/number of failed transactions: (\d+)/.exec(out)?.[1] ?? 0);
  return {
    rps: tps,
    p50: latencies[Math.floor(latencies.length * 0.5)],
    p99: latencies[Math.floor(latencies.length * 0.99)],
    errors: failedTx,
  };
}

function findPgbench() {
  const inPath = spawnSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' }).stdout.trim();
  if (inPath) return inPath;
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const v of readdirSync(root).sort().reverse())
      if (existsSync(join(root, v, 'bin/pgbench'))) return join(root, v, 'bin/pgbench');
  }
  return undefined;
}

/** autocannon's own duration: from the first request to the sample that saw the last answer (every 50 ms). */
function seconds(result) {
  return result.duration;
}

function fmt(ms) {
  return `${Number(ms).toFixed(1).padStart(6)} ms`;
}

function report() {
  const row = (name, r, ratioTo) =>
    `| ${name} | ${r ? r.rps.toFixed(0) : '-'} | ${r ? fmt(r.p50) : '-'} | ${r ? fmt(r.p99) : '-'} | ${r ? r.errors : '-'} | ${
      r && ratioTo ? `${(r.rps / ratioTo.rps).toFixed(2)}×` : ''
    } |`;
  const lines = [
    '',
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? '?'}), ${Math.round(totalmem() / 2 ** 30)} GiB; medians of ${RUNS} runs`,
    '| scenario | per second | p50 | p99 | errors | vs pgbench |',
    '|---|---|---|---|---|---|',
    row('hot-item (service, reservations)', results['hot-item'], results['pgbench hot-item']),
    row('hot-item (pgbench naive, 64 clients)', results['pgbench hot-item']),
    row('hot-item (pgbench naive, minimal tables, 64 clients)', results['pgbench-min hot-item']),
    row('hot-item 16 connections (service)', results['hot-item 16'], results['pgbench hot-item 16']),
    row('hot-item (pgbench naive, 16 clients)', results['pgbench hot-item 16']),
    row('hot-item (pgbench naive, minimal tables, 16 clients)', results['pgbench-min hot-item 16']),
    row('hot-item with Idempotency-Key (service)', results['hot-item idempotent'], results['pgbench hot-item']),
    row('spread (service, reservations)', results['spread'], results['pgbench spread']),
    row('spread (pgbench naive, 64 clients)', results['pgbench spread']),
    row('spread (pgbench naive, minimal tables, 64 clients)', results['pgbench-min spread']),
    row('order-flow (completed orders)', results['order-flow']),
    row('flash-sale (service, create + confirm on the hot item)', results['flash-sale'], results['pgbench flash-sale']),
    row('flash-sale (pgbench naive pair, 64 clients)', results['pgbench flash-sale']),
    row('feed-read (events read, pages of 100)', results['feed-read']),
    row('http-floor (GET /api/me)', results['http-floor']),
  ];
  /** A markdown table after a blank line and its title. */
  function table(title, header, rows) {
    lines.push('', title, `| ${header.join(' | ')} |`, `|${'---|'.repeat(header.length)}`, ...rows);
  }
  const perSecond = (r) => (r ? r.rps.toFixed(0) : '-');
  const ratio = (r, to) => (r && to ? `${(r.rps / to.rps).toFixed(2)}×` : '-');
  // Every reservation scenario against both baselines: [scenario, its same-schema baseline, its minimal one].
  // A scenario with no baseline yet has a row with '-': a flash-sale scenario and its baselines go here too.
  const reservationScenarios = [
    ['hot-item', 'pgbench hot-item', 'pgbench-min hot-item'],
    ['hot-item 16', 'pgbench hot-item 16', 'pgbench-min hot-item 16'],
    ['hot-item idempotent', 'pgbench hot-item', 'pgbench-min hot-item'],
    ['spread', 'pgbench spread', 'pgbench-min spread'],
    ['order-flow'], // completed orders; no baseline yet
    ['flash-sale', 'pgbench flash-sale'], // completed orders; no minimal-tables baseline
  ].filter(([name]) => results[name]);
  if (reservationScenarios.length > 0) {
    table(
      "Reservations against both baselines (the same naive transaction in pgbench: on the service's schema, and on minimal tables, the database's own limit):",
      ['scenario', 'service /s', 'same-schema pgbench /s', 'ratio', 'minimal-tables pgbench /s', 'ratio'],
      reservationScenarios.map(([name, same, min]) => {
        const [r, a, b] = [results[name], results[same], results[min]];
        if (!same) return `| ${name} | ${perSecond(r)} | no baseline yet | - | no baseline yet | - |`;
        return `| ${name} | ${perSecond(r)} | ${perSecond(a)} | ${ratio(r, a)} | ${perSecond(b)} | ${ratio(r, b)} |`;
      }),
    );
  }
  // What the server used, per service scenario: CPU per request answered (measured run) and max RSS.
  const used = Object.entries(results).filter(([, r]) => r.max_rss_mb !== undefined);
  if (used.length > 0) {
    const floor = results['http-floor']?.cpu_ms_per_request;
    const cpu = (r) => (r.cpu_ms_per_request !== undefined ? r.cpu_ms_per_request.toFixed(2) : '-');
    table(
      'What the server used (the process and its children): CPU per request answered in the measured run, and its max RSS over the scenario:',
      ['scenario', 'server CPU ms/request', 'vs http-floor', 'max RSS MB'],
      used.map(
        ([name, r]) =>
          `| ${name} | ${cpu(r)} | ${floor && r.cpu_ms_per_request !== undefined ? `${(r.cpu_ms_per_request / floor).toFixed(2)}×` : '-'} | ${r.max_rss_mb} |`,
      ),
    );
    const vsFloor = ['hot-item', 'spread']
      .filter((name) => floor && results[name]?.cpu_ms_per_request !== undefined)
      .map((name) => `${name} ${(results[name].cpu_ms_per_request / floor).toFixed(2)}×`);
    if (vsFloor.length > 0) lines.push('', `CPU per request vs http-floor (goal ≤ 1.5×): ${vsFloor.join(', ')}`);
    const [maxName, maxRun] = used.reduce((a, b) => (b[1].max_rss_mb > a[1].max_rss_mb ? b : a));
    lines.push('', `Server max RSS over every scenario (goal ≤ 250 MB): ${maxRun.max_rss_mb} MB (${maxName})`);
  }
  if (before) {
    const cost = (name) =>
      results[name] && results[`${name} before`]
        ? `${((1 - results[name].rps / results[`${name} before`].rps) * 100).toFixed(1)}%`
        : '-';
    table(
      `Against the build in ${COMPARE} (its own database, same run), and what the difference costs:`,
      ['scenario', 'this build /s', 'that build /s', 'cost'],
      ['hot-item', 'spread', 'pgbench hot-item', 'pgbench spread'].map(
        (name) =>
          `| ${name} | ${results[name]?.rps.toFixed(0) ?? '-'} | ${results[`${name} before`]?.rps.toFixed(0) ?? '-'} | ${cost(name)} |`,
      ),
    );
  }
  const tracedRuns = ['http-floor', 'hot-item', 'spread'].filter((name) => results[`${name} traced`]);
  if (tracedRuns.length > 0) {
    table(
      'With tracing on (a second server, its own database, same run; OTLP/HTTP protobuf to a local receiver that drops the spans):',
      ['scenario', 'off /s', 'on /s', 'on / off', 'p50 off', 'p50 on', 'p99 off', 'p99 on'],
      tracedRuns.map((name) => {
        const [off, on] = [results[name], results[`${name} traced`]];
        const ratio = off ? `${(on.rps / off.rps).toFixed(2)}×` : '-';
        return `| ${name} | ${off?.rps.toFixed(0) ?? '-'} | ${on.rps.toFixed(0)} | ${ratio} | ${off ? fmt(off.p50) : '-'} | ${fmt(on.p50)} | ${off ? fmt(off.p99) : '-'} | ${fmt(on.p99)} |`;
      }),
    );
  }
  const clusteredRuns = ['http-floor', 'hot-item', 'spread'].filter((name) => results[`${name} ${WORKERS} workers`]);
  if (clusteredRuns.length > 0) {
    table(
      `1 worker against ${WORKERS} workers (WORKERS=${WORKERS}, a second server, its own database, same run; DB_POOL_SIZE split so that both hold ${SERVER_ENV.DB_POOL_SIZE} connections):`,
      [
        'scenario',
        '1 worker /s',
        `${WORKERS} workers /s`,
        'ratio',
        'p50 1',
        `p50 ${WORKERS}`,
        'p99 1',
        `p99 ${WORKERS}`,
        'max RSS 1',
        `max RSS ${WORKERS}`,
      ],
      clusteredRuns.map((name) => {
        const [one, many] = [results[name], results[`${name} ${WORKERS} workers`]];
        const ratio = one ? `${(many.rps / one.rps).toFixed(2)}×` : '-';
        const rss = (r) => (r?.max_rss_mb ? `${r.max_rss_mb} MB` : '-');
        return `| ${name} | ${one?.rps.toFixed(0) ?? '-'} | ${many.rps.toFixed(0)} | ${ratio} | ${one ? fmt(one.p50) : '-'} | ${fmt(many.p50)} | ${one ? fmt(one.p99) : '-'} | ${fmt(many.p99)} | ${rss(one)} | ${rss(many)} |`;
      }),
    );
  }
  const hooked = ['hot-item', 'spread']
    .flatMap((name) => [
      [name, `${name} webhook`, 'one event per message'],
      [name, `${name} webhook batched`, `batches of up to ${BENCH_BATCH}`],
    ])
    .filter(([, hooked]) => results[hooked]);
  if (hooked.length > 0) {
    table(
      'With one webhook endpoint subscribed to every event and a local receiver:',
      ['scenario', 'endpoint', 'without /s', 'with /s', 'with / without', 'delivery lag p50', 'p99'],
      hooked.map(([name, hooked, mode]) => {
        const [a, b] = [results[name], results[hooked]];
        return `| ${name} | ${mode} | ${a ? a.rps.toFixed(0) : '-'} | ${b.rps.toFixed(0)} | ${a ? `${(b.rps / a.rps).toFixed(2)}×` : '-'} | ${fmt(b.lag_p50)} | ${fmt(b.lag_p99)} |`;
      }),
    );
  }
  const reads = READS.filter((name) => results[name] || results[`${name} redis`]);
  if (reads.length > 0) {
    const floor = results['http-floor'];
    const vs = (r) => (r && floor ? `${(r.rps / floor.rps).toFixed(2)}×` : '-');
    table(
      'Reads at 64 connections, without and with the Redis read cache (a second server of this build, its own database), against http-floor' +
        (floor ? ` (${floor.rps.toFixed(0)}/s)` : ' (not run: add http-floor to --only)') +
        ':',
      ['scenario', 'no Redis /s', 'vs floor', 'p50', 'p99', 'Redis /s', 'vs floor', 'p50', 'p99'],
      reads.map((name) => {
        const [a, b] = [results[name], results[`${name} redis`]];
        return `| ${name} | ${a?.rps.toFixed(0) ?? '-'} | ${vs(a)} | ${a ? fmt(a.p50) : '-'} | ${a ? fmt(a.p99) : '-'} | ${b?.rps.toFixed(0) ?? '-'} | ${vs(b)} | ${b ? fmt(b.p50) : '-'} | ${b ? fmt(b.p99) : '-'} |`;
      }),
    );
  }
  const invalidating = ['hot-item', 'spread'].filter((name) => results[`${name} redis`]);
  if (invalidating.length > 0) {
    table(
      'Writes with the Redis read cache on (the same second server: every commit invalidates what it touched):',
      ['scenario', 'no Redis /s', 'Redis /s', 'Redis / no Redis', 'p99 no Redis', 'p99 Redis'],
      invalidating.map((name) => {
        const [a, b] = [results[name], results[`${name} redis`]];
        return `| ${name} | ${a?.rps.toFixed(0) ?? '-'} | ${b.rps.toFixed(0)} | ${a ? `${(b.rps / a.rps).toFixed(2)}×` : '-'} | ${a ? fmt(a.p99) : '-'} | ${fmt(b.p99)} |`;
      }),
    );
  }
  console.log(lines.join('\n'));
  writeFileSync('bench/results/summary.md', `${lines.join('\n')}\n`);
}
