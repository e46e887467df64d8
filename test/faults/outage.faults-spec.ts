import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep } from '../support/util.js';
import {
  call,
  newTenantKey,
  scratchDatabase,
  startService,
  type Answer,
  type ScratchDatabase,
  type ServiceProcess,
} from './support/harness.js';
import { figures, MixedLoad, summary, verify, type Entry } from './support/load.js';

// The database goes away under load and comes back. Meanwhile every request
// answers 503 service_unavailable quickly (no hang, no 500), liveness stays 200
// and readiness is 503; afterwards the same process serves again, without a
// restart, and the invariants hold.

const SEED = Number(process.env.FAULTS_SEED ?? 5003);
/** A request during the outage must answer within this (the pool's connect timeout is 5 s). */
const OUTAGE_ANSWER_MS = 6_000;

describe('faults: PostgreSQL stops and starts again under a running service', () => {
  let db: ScratchDatabase;
  let service: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await scratchDatabase('outage', { mustOwn: true }); // this test stops its PostgreSQL: always an embedded one
  });
  afterAll(async () => {
    await service?.stop();
    await db?.dispose();
  });

  it('503 within seconds while it is down, serves again once it is back, invariants hold', async () => {
    service = await startService(db.url, {
      ENABLE_CRON: 'true',
      RESERVATION_SWEEP_CRON: '*/1 * * * * *',
      AUTH_CACHE_TTL_MS: '1000',
    });
    const s = service;
    const tenant = await newTenantKey(s.url);
    const initial = new Map<string, number>();
    for (let i = 0; i < 4; i++) {
      const res = await call(s.url, 'POST', '/api/items', tenant.key, { name: `outage-item-${i}`, qty: 50 });
      initial.set(res.body.data.id, 50);
    }
    const items = [...initial.keys()];
    const base = { bases: [s.url], key: tenant.key, items, workers: 6, maxRequests: 3000, maxMs: 30_000 };

    // 1. Load, then the database stops underneath it.
    const before = new MixedLoad({ ...base, seed: SEED, prefix: 'before' }).start();
    await before.answered(300);
    await db.stop();
    await sleep(1500); // the load keeps going into the outage
    await before.stop();

    // 2. While it is down: every kind of request answers 503 quickly; liveness 200, readiness 503.
    const outage: Answer[] = [];
    const probes: [string, string, unknown?][] = [
      ['GET', '/api/items'],
      ['GET', `/api/items/${items[0]}`],
      ['PATCH', `/api/items/${items[0]}/qty`, { delta: 1 }],
      ['POST', '/api/reservations', { lines: [{ item_id: items[1], quantity: 1 }] }],
      ['POST', '/api/orders', { currency: 'EUR', lines: [{ item_id: items[2], quantity: 1, unit_price: 1 }] }],
      ['GET', '/api/orders'],
      ['GET', '/api/audit-logs'],
    ];
    const outageUntil = Date.now() + 4_000;
    let live: Answer | undefined;
    let ready: Answer | undefined;
    while (Date.now() < outageUntil) {
      outage.push(
        ...(await Promise.all(
          probes.map(([method, path, body]) =>
            call(s.url, method, path, tenant.key, body, undefined, OUTAGE_ANSWER_MS + 2_000),
          ),
        )),
      );
      live = await call(s.url, 'GET', '/health/live');
      ready = await call(s.url, 'GET', '/health/ready', undefined, undefined, undefined, OUTAGE_ANSWER_MS + 2_000);
      expect(live.status).toBe(200);
      expect({ status: ready.status, error: ready.body?.error }).toEqual({ status: 503, error: 'service_unavailable' });
    }
    const wrong = outage.filter(
      (a) => a.status !== 503 || a.body?.error !== 'service_unavailable' || typeof a.body?.request_id !== 'string',
    );
    const slowest = Math.max(...outage.map((a) => a.ms));
    expect({ wrong: wrong.slice(0, 5) }).toEqual({ wrong: [] });
    expect(slowest).toBeLessThan(OUTAGE_ANSWER_MS);
    expect(s.child.exitCode).toBeNull(); // the process survived the outage (and its sweeper's failures)

    // 3. The database comes back; the same process serves again.
    await db.start();
    const backAt = Date.now();
    let recovered: Answer | undefined;
    for (;;) {
      recovered = await call(s.url, 'GET', '/api/items', tenant.key);
      if (recovered.status === 200 || Date.now() - backAt > 20_000) break;
      await sleep(100);
    }
    const recoveryMs = Date.now() - backAt;
    expect(recovered.status).toBe(200);
    expect((await call(s.url, 'GET', '/health/ready')).status).toBe(200);

    const after = new MixedLoad({ ...base, seed: SEED + 1, prefix: 'after' }).start();
    await after.answered(300);
    await after.stop();
    await s.stop();

    const ledger: Entry[] = [...before.ledger, ...after.ledger];
    const { violations, refusedWithExpiries, ledgerLine } = await verify(db.url, tenant.id, initial, ledger);
    const all = [...ledger, ...outage];
    const f = figures(all);
    const unavailable = all.filter((e) => e.status === 503).length;
    console.log(
      summary(
        'outage',
        f,
        violations.length,
        `; 5xx are all 503 service_unavailable (${unavailable}), slowest answer while down ${slowest} ms, serving again ${recoveryMs} ms after PostgreSQL was back; no answer ${f.none}; refused with committed expiries ${refusedWithExpiries}; ledger: ${ledgerLine}`,
      ),
    );
    for (const v of violations.slice(0, 20)) console.log(`  violation: ${v}`);
    for (const line of s.errors().slice(0, 10)) console.log(`  service error: ${line.slice(0, 3000)}`);
    expect(violations.slice(0, 20)).toEqual([]);
    expect(all.filter((e) => e.status >= 500 && e.status !== 503)).toEqual([]);
    expect(after.ledger.filter((e) => e.status >= 500 || e.status === 0)).toEqual([]);
  });
});
