import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adjustQty, newItem, newTenant } from '../support/fixtures.js';
import { reserveOk } from '../support/reservations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { Receiver } from '../support/webhook-receiver.js';
import { feedEvents, newWebhook, RELAY_ENV, seqsByRow, startRelay } from '../support/webhooks.js';

let a: TestApp;
let b: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  [a, b] = await Promise.all([startTestApp(RELAY_ENV), startTestApp(RELAY_ENV)]);
  startRelay(a);
  startRelay(b);
  receiver = await Receiver.start();
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await receiver.down();
});

describe('two instances relaying on one database', () => {
  it('each event reaches each endpoint exactly once, in seq order per row, and no tenant gets another’s', async () => {
    const tenants = [await newTenant(a), await newTenant(a)];
    const names = ['two-0a', 'two-0b', 'two-1a'];
    await newWebhook(a, tenants[0]!, receiver, names[0]!);
    await newWebhook(b, tenants[0]!, receiver, names[1]!, { event_types: ['stock.changed', 'reservation.created'] });
    await newWebhook(a, tenants[1]!, receiver, names[2]!);
    const before = await Promise.all(tenants.map(async (tn) => new Set((await feedEvents(a, tn)).map((e) => e.id))));

    // Writes on both instances at once: adjustments and holds on a few rows of each tenant.
    await Promise.all(
      tenants.map(async (tenant, n) => {
        const items = [await newItem(a, tenant, { qty: 500 }), await newItem(b, tenant, { qty: 500 })];
        await Promise.all(
          Array.from({ length: 60 }, async (_, i) => {
            const app = i % 2 ? a : b;
            const item = items[(i + n) % 2]!;
            if (i % 3 === 0) await reserveOk(app, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
            else await adjustQty(app, tenant, item.id, { delta: -1 }).expect(200);
          }),
        );
      }),
    );

    const feeds = await Promise.all(
      tenants.map(async (tn, i) => (await feedEvents(a, tn)).filter((e) => !before[i]!.has(e.id))),
    );
    const wanted = [
      feeds[0]!,
      feeds[0]!.filter((e) => e.type === 'stock.changed' || e.type === 'reservation.created'),
      feeds[1]!,
    ];
    for (const [i, name] of names.entries()) {
      const got = await receiver.waitFor(name, wanted[i]!.length, 60_000);
      expect(got.filter((r) => !r.verified)).toEqual([]);
      expect(got.map((r) => r.id).sort()).toEqual(wanted[i]!.map((e) => e.id).sort());
      expect(new Set(got.map((r) => r.body.data.tenant_id))).toEqual(new Set([tenants[i === 2 ? 1 : 0]!.id]));
      for (const seqs of seqsByRow(got).values()) expect(seqs).toEqual([...seqs].sort((x, y) => x - y));
    }
    // Nothing more arrives: each delivery was sent by one instance only.
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const [i, name] of names.entries()) expect(receiver.of(name)).toHaveLength(wanted[i]!.length);
    const attempts = await a.db.query(
      `SELECT count(*)::int AS n, count(DISTINCT d.id)::int AS deliveries FROM webhook_attempt at
       JOIN webhook_delivery d ON d.id = at.delivery_id WHERE d.tenant_id = ANY($1::uuid[])`,
      [tenants.map((tn) => tn.id)],
    );
    expect(attempts[0].n).toBe(attempts[0].deliveries);
  });
});
