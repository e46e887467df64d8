import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { sleep } from '../support/util.js';
import { Receiver } from '../support/webhook-receiver.js';
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

// kill -9 of the service while its relay is delivering under the mixed load,
// restart on the same database: every committed event reaches the endpoint at
// least once, a duplicate only ever with the same webhook-id (and body), every
// signature verifies, and a stock row's events first arrive in seq order.

const SEED = Number(process.env.FAULTS_SEED ?? 5005);
const ENV = { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true', WEBHOOK_RETRY_BASE_MS: '100' };

describe('faults: the service is killed (SIGKILL) mid-delivery and restarted', () => {
  let db: ScratchDatabase;
  let receiver: Receiver;
  let first: ServiceProcess | undefined;
  let second: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await scratchDatabase('webhooks');
    receiver = await Receiver.start();
    receiver.delayMs = 15; // a consumer slower than the load: deliveries are always in flight
  });
  afterAll(async () => {
    await first?.kill9();
    await second?.stop();
    await receiver?.down();
    await db?.dispose();
  });

  it('delivers every committed event at least once, duplicates only with the same webhook-id', async () => {
    first = await startService(db.url, ENV);
    const tenant = await newTenantKey(first.url);
    const hook = await call(first.url, 'POST', '/api/webhooks', tenant.key, { url: receiver.url('crash') });
    expect(hook.status).toBe(201);
    receiver.expect('crash', hook.body.data.secret);
    const eventIds = async () =>
      withClient(db.url, async (c) =>
        (await c.query('SELECT id::text FROM event WHERE tenant_id = $1', [tenant.id])).rows.map((r) => r.id as string),
      );
    const before = new Set(await eventIds()); // the tenant's default warehouse, before the endpoint
    const initial = new Map<string, number>();
    for (let i = 0; i < 6; i++) {
      const res = await call(first.url, 'POST', '/api/items', tenant.key, { name: `wh-item-${i}`, qty: 40 });
      initial.set(res.body.data.id, 40);
    }
    const load = new MixedLoad({
      bases: [first.url],
      key: tenant.key,
      items: [...initial.keys()],
      seed: SEED,
      workers: 12,
      maxRequests: 4000,
      maxMs: 45_000,
      prefix: 'webhooks',
    }).start();

    // Kill while deliveries are in flight: once the receiver has some, and the load goes on.
    await load.answered(300);
    await receiver.waitFor('crash', 200, 30_000);
    const receivedAtKill = receiver.of('crash').length;
    await first.kill9();
    await sleep(300);
    second = await startService(db.url, ENV, first.port);
    const restarted = Date.now();
    await load.answered(load.ledger.filter((e) => e.status > 0).length + 300);
    await load.stop();

    // Every committed event of the tenant (after the endpoint) must arrive; a dead instance's claims come back
    // when their lease (30 s) runs out.
    const expected = (await eventIds()).filter((id) => !before.has(id));
    await receiver.waitFor('crash', (got) => new Set(got.map((r) => r.id)).size >= expected.length, 120_000);
    const allDone = Date.now() - restarted;
    const got = receiver.of('crash');
    const bodies = new Map<string, string>();
    let duplicates = 0;
    const changedBody: string[] = [];
    for (const r of got) {
      const body = JSON.stringify(r.body);
      if (bodies.has(r.id)) {
        duplicates++;
        if (bodies.get(r.id) !== body) changedBody.push(r.id);
      } else bodies.set(r.id, body);
    }
    const missing = expected.filter((id) => !bodies.has(id));
    const unexpected = [...bodies.keys()].filter((id) => !expected.includes(id));
    const unverified = got.filter((r) => !r.verified).length;
    // First arrivals of a stock row come in seq order.
    const firstSeen = new Set<string>();
    const lastSeq = new Map<string, number>();
    const outOfOrder: string[] = [];
    for (const r of got) {
      if (firstSeen.has(r.id)) continue;
      firstSeen.add(r.id);
      const d = r.body.data;
      if (d.object_type !== 'stock') continue;
      const row = `${d.payload.item_id}/${d.payload.warehouse_id}`;
      if ((lastSeq.get(row) ?? 0) > d.seq) outOfOrder.push(`${row} seq ${d.seq} after ${lastSeq.get(row)}`);
      lastSeq.set(row, Math.max(lastSeq.get(row) ?? 0, d.seq));
    }
    const { violations, ledgerLine } = await verify(db.url, tenant.id, initial, load.ledger);
    await second.stop();

    const f = figures(load.ledger);
    console.log(
      summary(
        'webhooks',
        f,
        violations.length,
        `; events ${expected.length}, delivered ${expected.length - missing.length}/${expected.length} (${receivedAtKill} before the kill), ` +
          `duplicates ${duplicates} (all with the same webhook-id; ${changedBody.length} with another body), ` +
          `signatures verified ${got.length - unverified}/${got.length}, stock rows in seq order ${lastSeq.size - new Set(outOfOrder.map((o) => o.split(' ')[0])).size}/${lastSeq.size}, ` +
          `all delivered ${(allDone / 1000).toFixed(1)} s after the restart; ledger: ${ledgerLine}`,
      ),
    );
    expect({
      missing: missing.slice(0, 5),
      unexpected: unexpected.slice(0, 5),
      unverified,
      changedBody,
      outOfOrder: outOfOrder.slice(0, 5),
      violations: violations.slice(0, 5),
      serverErrors: load.ledger.filter((e) => e.status >= 500).slice(0, 5),
    }).toEqual({
      missing: [],
      unexpected: [],
      unverified: 0,
      changedBody: [],
      outOfOrder: [],
      violations: [],
      serverErrors: [],
    });
    expect(f.none).toBeGreaterThan(0); // the kill did cut requests
  });
});
