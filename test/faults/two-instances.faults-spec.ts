import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { prng, sleep } from '../support/util.js';
import {
  call,
  newTenantKey,
  scratchDatabase,
  startService,
  withClient,
  type ScratchDatabase,
  type ServiceProcess,
} from './support/harness.js';
import { figures, summary, verify, type Entry } from './support/load.js';

// Two instances on one database, both sweeping expired holds every second, under
// the chaos load (stock S, many parallel one-unit reservations spread over both)
// while short-TTL holds keep expiring and being released in a race with the
// sweepers: exactly S holds, nothing released or expired twice, invariants hold.

const SEED = Number(process.env.FAULTS_SEED ?? 5002);
const STOCK = 25;
const ATTEMPTS = 250;
const CHURN_MS = 6_000;

describe('faults: two instances with the expiry sweeper every second', () => {
  let db: ScratchDatabase;
  const services: ServiceProcess[] = [];

  beforeAll(async () => {
    db = await scratchDatabase('two');
  });
  afterAll(async () => {
    for (const s of services) await s.stop();
    await db?.dispose();
  });

  it('exactly-N holds, nothing released twice, invariants hold', async () => {
    // Started together on an empty database: migrations serialize on their advisory lock.
    const env = { ENABLE_CRON: 'true', RESERVATION_SWEEP_CRON: '*/1 * * * * *' };
    services.push(...(await Promise.all([startService(db.url, env), startService(db.url, env)])));
    const [a] = services as [ServiceProcess, ServiceProcess];
    const tenant = await newTenantKey(a.url);
    const make = async (qty: number) =>
      (await call(a.url, 'POST', '/api/items', tenant.key, { name: `two-${qty}-${Date.now()}`, qty })).body.data
        .id as string;
    const chaosItem = await make(STOCK);
    const churnItems = [await make(30), await make(30)];
    const initial = new Map([
      [chaosItem, STOCK],
      [churnItems[0]!, 30],
      [churnItems[1]!, 30],
    ]);
    const ledger: Entry[] = [];
    let n = 0;
    const requestId = (p: string) => `${p}-${n++}`;

    // Short-TTL churn on both instances: holds of 1-2 s, a third released by hand at a random moment around their expiry.
    const churn = async (worker: number) => {
      const random = prng(SEED * 100 + worker);
      const deadline = Date.now() + CHURN_MS;
      const releases: Promise<void>[] = [];
      while (Date.now() < deadline) {
        const base = services[(worker + n) % 2]!.url;
        const id = requestId('churn');
        const lines = [{ item_id: churnItems[Math.floor(random() * 2)]!, quantity: 1 + Math.floor(random() * 3) }];
        const res = await call(
          base,
          'POST',
          '/api/reservations',
          tenant.key,
          { lines, ttl_seconds: 1 + Math.floor(random() * 2) },
          id,
        );
        ledger.push({
          op: 'reserve',
          requestId: id,
          status: res.status,
          error: res.body?.error,
          id: res.body?.data?.id,
          ms: res.ms,
        });
        if (res.status === 201 && random() < 0.35) {
          const reservationId = res.body.data.id;
          const wait = Math.floor(random() * 2500);
          releases.push(
            sleep(wait).then(async () => {
              const rid = requestId('release');
              const r = await call(
                services[worker % 2]!.url,
                'POST',
                `/api/reservations/${reservationId}/release`,
                tenant.key,
                undefined,
                rid,
              );
              ledger.push({
                op: 'release',
                requestId: rid,
                status: r.status,
                error: r.body?.error,
                id: reservationId,
                ms: r.ms,
              });
            }),
          );
        }
        if (res.status === 400) await sleep(50); // all held: wait for expiry
      }
      await Promise.all(releases);
    };

    // The chaos load: ATTEMPTS parallel reservations of one unit of STOCK, alternating instances.
    const chaos = Promise.all(
      Array.from({ length: ATTEMPTS }, async (_, i) => {
        await sleep(Math.floor(i / 50) * 200); // in waves, overlapping the churn
        const id = requestId('chaos');
        const res = await call(
          services[i % 2]!.url,
          'POST',
          '/api/reservations',
          tenant.key,
          { lines: [{ item_id: chaosItem, quantity: 1 }] },
          id,
        );
        ledger.push({
          op: 'reserve',
          requestId: id,
          status: res.status,
          error: res.body?.error,
          id: res.body?.data?.id,
          ms: res.ms,
        });
        return res;
      }),
    );
    await Promise.all([chaos, ...Array.from({ length: 6 }, (_, w) => churn(w))]);
    const chaosAnswers = await chaos;

    // Every short hold lapses within 2 s; the sweepers (every second, on both) must free them all.
    const deadline = Date.now() + 15_000;
    let left = -1;
    while (Date.now() < deadline) {
      left = await withClient(
        db.url,
        async (c) =>
          (
            await c.query(
              `SELECT count(*)::int AS n FROM reservation WHERE tenant_id = $1 AND status = 'active' AND expires_at < now() + interval '1 minute'`,
              [tenant.id],
            )
          ).rows[0].n,
      );
      if (left === 0) break;
      await sleep(250);
    }
    expect(left).toBe(0);

    const { violations, refusedWithExpiries, ledgerLine } = await verify(db.url, tenant.id, initial, ledger);
    const stats = await withClient(db.url, async (c) => {
      const q = async (text: string) => (await c.query(text, [tenant.id])).rows;
      const [chaosStock] = await q(
        `SELECT on_hand, reserved FROM stock WHERE tenant_id = $1 AND item_id = '${chaosItem}'`,
      );
      const [holds] = await q(
        `SELECT count(*)::int AS n FROM reservation r JOIN reservation_line l ON l.reservation_id = r.id WHERE r.tenant_id = $1 AND r.status = 'active' AND l.item_id = '${chaosItem}'`,
      );
      const twice = await q(
        `SELECT object_id, count(*)::int AS n FROM audit_log WHERE tenant_id = $1 AND action IN ('reservation.expired', 'reservation.released') GROUP BY 1 HAVING count(*) > 1`,
      );
      const [expired] = await q(
        `SELECT count(*) FILTER (WHERE request_id LIKE 'sweep-%')::int AS by_sweeper, count(*) FILTER (WHERE request_id NOT LIKE 'sweep-%')::int AS by_request FROM audit_log WHERE tenant_id = $1 AND action = 'reservation.expired'`,
      );
      return { chaosStock, holds: holds.n as number, twice, expired };
    });
    const won = chaosAnswers.filter((r) => r.status === 201).length;
    const refused = chaosAnswers.filter((r) => r.status === 400 && r.body?.error === 'insufficient_stock').length;
    if (won !== STOCK) violations.push(`chaos: ${won} of ${ATTEMPTS} reservations succeeded on stock ${STOCK}`);
    if (refused !== ATTEMPTS - STOCK)
      violations.push(`chaos: ${refused} insufficient_stock refusals, expected ${ATTEMPTS - STOCK}`);
    if (stats.holds !== STOCK || stats.chaosStock.reserved !== STOCK || stats.chaosStock.on_hand !== STOCK) {
      violations.push(`chaos item: ${stats.holds} active holds, stock ${JSON.stringify(stats.chaosStock)}`);
    }
    for (const t of stats.twice) violations.push(`reservation ${t.object_id} ended ${t.n} times`);

    const f = figures(ledger);
    console.log(
      summary(
        'two instances',
        f,
        violations.length,
        `; chaos ${won}/${ATTEMPTS} held on stock ${STOCK}; expired by the sweepers ${stats.expired.by_sweeper}, by requests ${stats.expired.by_request}; refused with committed expiries ${refusedWithExpiries}; ledger: ${ledgerLine}`,
      ),
    );
    for (const v of violations.slice(0, 20)) console.log(`  violation: ${v}`);
    expect({
      violations: violations.slice(0, 20),
      serverErrors: ledger.filter((e) => e.status >= 500 || e.status === 0).slice(0, 5),
    }).toEqual({ violations: [], serverErrors: [] });
    expect(stats.expired.by_sweeper).toBeGreaterThan(0);
  });
});
