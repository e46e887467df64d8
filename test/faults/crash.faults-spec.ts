import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep } from '../support/util.js';
import {
  call,
  newTenantKey,
  scratchDatabase,
  startService,
  withClient,
  type ScratchDatabase,
  type ServiceProcess,
} from './support/harness.js';
import { figures, MixedLoad, summary, verify } from './support/load.js';

// kill -9 in the middle of a mixed load, restart on the same database, and
// check that nothing a client was told is lost, nothing half-done remains, and
// every change has its audit row.

const SEED = Number(process.env.FAULTS_SEED ?? 5001);

describe('faults: the service is killed (SIGKILL) mid-load and restarted', () => {
  let db: ScratchDatabase;
  let first: ServiceProcess | undefined;
  let second: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await scratchDatabase('crash');
  });
  afterAll(async () => {
    await first?.kill9();
    await second?.stop();
    await db?.dispose();
  });

  it('keeps every acknowledged change, loses no unit, audits everything', async () => {
    first = await startService(db.url);
    const tenant = await newTenantKey(first.url);
    const initial = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const res = await call(first.url, 'POST', '/api/items', tenant.key, { name: `crash-item-${i}`, qty: 40 });
      expect(res.status).toBe(201);
      initial.set(res.body.data.id, 40);
    }

    const load = new MixedLoad({
      bases: [first.url],
      key: tenant.key,
      items: [...initial.keys()],
      seed: SEED,
      workers: 12,
      maxRequests: 6000,
      maxMs: 45_000,
      prefix: 'crash',
    }).start();

    // Let it run, then kill -9 while requests are in flight.
    await load.answered(400);
    await first.kill9();
    const killedAt = load.ledger.length;
    await sleep(300);
    second = await startService(db.url, {}, first.port);
    const restartedAt = load.ledger.length;
    await load.answered(load.ledger.filter((e) => e.status > 0).length + 400);
    await load.stop();
    await second.stop();

    const { violations, refusedWithExpiries, ledgerLine } = await verify(db.url, tenant.id, initial, load.ledger);
    const f = figures(load.ledger);
    const refused = load.ledger.filter((e) => e.status === 0 && e.error === 'ECONNREFUSED').length;
    console.log(
      summary(
        'crash',
        f,
        violations.length,
        `; no answer ${f.none}: ${f.none - refused} cut off in flight by the kill, ${refused} refused while down (kill after request ${killedAt}, ready again after ${restartedAt}; refused with committed expiries ${refusedWithExpiries}); ledger: ${ledgerLine}`,
      ),
    );
    for (const v of violations.slice(0, 20)) console.log(`  violation: ${v}`);
    const serverErrors = load.ledger.filter((e) => e.status >= 500);
    expect({ violations: violations.slice(0, 20), serverErrors: serverErrors.slice(0, 5) }).toEqual({
      violations: [],
      serverErrors: [],
    });
    expect(f.none).toBeGreaterThan(0); // the kill did hit requests in flight
    expect(f.ok).toBeGreaterThan(400);

    // The checker is not vacuous: one unit appearing from nowhere is caught. The
    // database refuses such a change (no movement), so it is made with triggers off.
    const itemId = [...initial.keys()][0]!;
    const grow = `UPDATE stock SET on_hand = on_hand + 1 WHERE item_id = '${itemId}'`;
    await expect(withClient(db.url, (c) => c.query(grow))).rejects.toMatchObject({
      constraint: 'stock_change_recorded',
    });
    await withClient(db.url, (c) => c.query(`BEGIN; SET LOCAL session_replication_role = replica; ${grow}; COMMIT`));
    const broken = (await verify(db.url, tenant.id, initial, load.ledger)).violations;
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.every((v) => v.includes('on_hand'))).toBe(true);
    expect(broken.some((v) => v.startsWith('ledger:'))).toBe(true);
  });
});
