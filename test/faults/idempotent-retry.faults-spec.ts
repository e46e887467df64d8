import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
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

// Retries across a crash: reservations sent with Idempotency-Key while the server
// is killed (SIGKILL), then every key retried on the restarted server. Each key
// must end with exactly one reservation (replayed or performed once), never two.

interface Attempt {
  key: string;
  first: number; // status of the first attempt (0: no answer)
  retry?: number;
  replayed?: boolean;
}

async function reserve(
  base: string,
  apiKey: string,
  itemId: string,
  key: string,
): Promise<{ status: number; replayed: boolean }> {
  try {
    const res = await fetch(`${base}/api/reservations`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify({ lines: [{ item_id: itemId, quantity: 1 }], reference: key }),
      signal: AbortSignal.timeout(15_000),
    });
    await res.arrayBuffer();
    return { status: res.status, replayed: res.headers.get('idempotent-replayed') === 'true' };
  } catch {
    return { status: 0, replayed: false };
  }
}

describe('faults: Idempotency-Key retries across a kill -9', () => {
  let db: ScratchDatabase;
  let first: ServiceProcess | undefined;
  let second: ServiceProcess | undefined;

  beforeAll(async () => {
    db = await scratchDatabase('idempotent-retry');
  });
  afterAll(async () => {
    await first?.kill9();
    await second?.stop();
    await db?.dispose();
  });

  it('every key ends with exactly one reservation, replayed or performed once', async () => {
    first = await startService(db.url);
    const tenant = await newTenantKey(first.url);
    const item = await call(first.url, 'POST', '/api/items', tenant.key, { name: 'retry-item', qty: 100_000 });
    expect(item.status).toBe(201);
    const itemId = item.body.data.id as string;

    const attempts: Attempt[] = Array.from({ length: 600 }, () => ({ key: randomUUID(), first: -1 }));
    let next = 0;
    const worker = async (base: string) => {
      while (next < attempts.length) {
        const a = attempts[next++]!;
        a.first = (await reserve(base, tenant.key, itemId, a.key)).status;
      }
    };
    const running = Promise.all(Array.from({ length: 16 }, () => worker(first!.url)));
    while (attempts.filter((a) => a.first === 201).length < 150) await sleep(10);
    await first.kill9();
    await running;

    second = await startService(db.url, {}, first.port);
    for (const a of attempts) {
      const r = await reserve(second.url, tenant.key, itemId, a.key);
      a.retry = r.status;
      a.replayed = r.replayed;
    }

    const counts = await withClient(db.url, async (c) => {
      const rows = await c.query(
        `SELECT reference, count(*)::int AS n FROM reservation WHERE tenant_id = $1 GROUP BY reference`,
        [tenant.id],
      );
      return new Map<string, number>(rows.rows.map((r: { reference: string; n: number }) => [r.reference, r.n]));
    });
    const [stock] = await withClient(
      db.url,
      async (c) => (await c.query('SELECT reserved FROM stock WHERE item_id = $1', [itemId])).rows,
    );

    const cutOff = attempts.filter((a) => a.first === 0).length;
    const answeredBefore = attempts.filter((a) => a.first === 201);
    const twice = attempts.filter((a) => (counts.get(a.key) ?? 0) > 1);
    const missing = attempts.filter((a) => a.retry === 201 && (counts.get(a.key) ?? 0) !== 1);
    const notReplayed = answeredBefore.filter((a) => !a.replayed);
    console.log(
      `idempotent-retry: keys ${attempts.length}, 201 before the kill ${answeredBefore.length}, no answer ${cutOff}, ` +
        `retries 201 ${attempts.filter((a) => a.retry === 201).length} (replayed ${attempts.filter((a) => a.replayed).length}), ` +
        `performed twice ${twice.length}, lost ${missing.length}`,
    );
    expect(cutOff).toBeGreaterThan(0);
    expect(attempts.every((a) => a.retry === 201)).toBe(true);
    expect(twice).toEqual([]);
    expect(missing).toEqual([]);
    // Everything acknowledged before the kill is replayed, not performed again.
    expect(notReplayed.map((a) => a.key)).toEqual([]);
    expect(stock.reserved).toBe(attempts.length);
  });
});
