import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { adjustQty, newItem, newTenant, updateItem, type TestTenant } from '../support/fixtures.js';
import { driveTo, orderOf, transitionOk } from '../support/orders.js';
import { extend, lapse, release, reserveOk, sweep } from '../support/reservations.js';
import { newWarehouse, updateWarehouse } from '../support/stock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { sleep, until } from '../support/util.js';
import { sample } from '../ops/support/prometheus.js';
import { Receiver } from '../support/webhook-receiver.js';
import { eventsReceived, feedEvents, newWebhook, RELAY_ENV, seqsByRow, startRelay } from '../support/webhooks.js';

let t: TestApp;
let receiver: Receiver;
beforeAll(async () => {
  t = await startTestApp(RELAY_ENV);
  startRelay(t);
  receiver = await Receiver.start();
});
afterAll(async () => {
  await t.close();
  await receiver.down();
});

const scrape = async () => (await t.http.get('/metrics').expect(200)).text;

/** Waits until the endpoint received every event of the tenant's feed but those of `before`; returns both. */
async function deliveredAll(tenant: TestTenant, name: string, before: Set<string>) {
  const events = (await feedEvents(t, tenant)).filter((e) => !before.has(e.id));
  const got = await receiver.waitFor(name, (g) => new Set(g.map((r) => r.id)).size >= events.length, 60_000);
  return { events, got };
}

describe('webhook deliveries', () => {
  it('every kind of change arrives, signed, with the event as the feed shows it (sweeps and auto-cancels too)', async () => {
    const tenant = await newTenant(t);
    await newWebhook(t, tenant, receiver, 'all-kinds');
    // The tenant's default warehouse came before the endpoint: not for it.
    const before = new Set((await feedEvents(t, tenant)).map((e) => e.id));
    expect(before.size).toBe(1);
    const item = await newItem(t, tenant, { qty: 5 });
    await updateItem(t, tenant, item.id, { reorder_point: 3 }).expect(200);
    await adjustQty(t, tenant, item.id, { delta: -3, reason: 'damaged' }).expect(200); // low
    const hold = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 2 }] }); // out of stock
    await extend(t, tenant, hold.id, { ttl_seconds: 600 }).expect(200);
    await release(t, tenant, hold.id).expect(200); // back in stock
    const lapsing = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    const order = await orderOf(t, tenant, item.id, 1);
    await lapse(t, [lapsing.id, order.reservation_id]);
    await sweep(t); // reservation.expired, and the order cancelled by the system
    const confirmed = await orderOf(t, tenant, item.id, 1);
    await driveTo(t, tenant, confirmed.id, 'shipped');
    const cancelled = await orderOf(t, tenant, item.id, 1);
    await transitionOk(t, tenant, cancelled.id, 'confirmed');
    await transitionOk(t, tenant, cancelled.id, 'cancelled');
    const wh = await newWarehouse(t, tenant, { code: `W-${Date.now()}`, name: 'second' });
    await updateWarehouse(t, tenant, wh.id, { name: 'second, renamed' }).expect(200);
    const gone = await newItem(t, tenant);
    await t.http.delete(`/api/items/${gone.id}`).set(tenant.auth).expect(204);

    const { events, got } = await deliveredAll(tenant, 'all-kinds', before);
    expect(new Set(events.map((e) => e.type))).toEqual(
      new Set([
        'item.created',
        'item.updated',
        'item.deleted',
        'stock.changed',
        'stock.low',
        'stock.out_of_stock',
        'stock.back_in_stock',
        'reservation.created',
        'reservation.extended',
        'reservation.released',
        'reservation.expired',
        'reservation.committed',
        'order.created',
        'order.status_changed',
        'warehouse.created',
        'warehouse.updated',
      ]),
    );
    expect(got.filter((r) => !r.verified)).toEqual([]);
    // Each event once (nothing failed), as the feed shows it, in the Standard Webhooks body.
    expect(got.map((r) => r.id).sort()).toEqual(events.map((e) => e.id).sort());
    const byId = new Map(events.map((e) => [e.id, e]));
    for (const r of got) {
      expect(r.body).toEqual({ type: r.body.data.type, timestamp: byId.get(r.id)!.occurred_at, data: byId.get(r.id) });
    }
    // The sweep's events carry the sweep's request id, as its audit rows do.
    const expired = got.filter((r) => r.body.type === 'reservation.expired').map((r) => r.body.data);
    expect(expired.map((e) => e.object_id).sort()).toEqual([lapsing.id, order.reservation_id].sort());
    expect(expired.every((e) => e.request_id.startsWith('sweep-') && e.payload.actor === 'system')).toBe(true);
    const autoCancel = got.find((r) => r.body.type === 'order.status_changed' && r.body.data.object_id === order.id);
    expect(autoCancel?.body.data).toMatchObject({
      request_id: expired[0]!.request_id,
      payload: { status: 'cancelled', reason: 'reservation_expired', actor: 'system' },
    });
    const rows = seqsByRow(got);
    for (const seqs of rows.values()) expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('a receiver down for a while gets everything once it is back, in seq order per stock row', async () => {
    const tenant = await newTenant(t);
    const hook = await newWebhook(t, tenant, receiver, 'down', { event_types: ['stock.changed'] });
    const items = [await newItem(t, tenant, { qty: 100 }), await newItem(t, tenant, { qty: 100 })];
    await receiver.waitFor('down', 2);
    receiver.answer = (path) => (path === '/hooks/down' ? 503 : 200);
    await Promise.all(
      items.flatMap((item) =>
        Array.from({ length: 15 }, () => adjustQty(t, tenant, item.id, { delta: -1 }).expect(200)),
      ),
    );
    // Until the relay has met the 503s (a transaction held open elsewhere in the cluster, as
    // test/reservations/lock-contention holds its locks, delays the feed and so the fan-out).
    await until(async () => {
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id
         WHERE d.endpoint_id = $1 AND NOT a.succeeded AND a.status_code = 503`,
        [hook.id],
      );
      return n > 0;
    }, 60_000);
    receiver.answer = () => 200;

    const got = await receiver.waitFor('down', 32, 60_000);
    expect(got.filter((r) => !r.verified)).toEqual([]);
    expect(new Set(got.map((r) => r.id)).size).toBe(32);
    const rows = seqsByRow(got);
    expect([...rows.values()]).toEqual([
      Array.from({ length: 16 }, (_, i) => i + 1),
      Array.from({ length: 16 }, (_, i) => i + 1),
    ]);
    // The receiver has them; the relay records the round right after.
    let res;
    for (let i = 0; ; i++) {
      res = await t.http.get(`/api/webhooks/${hook.id}/deliveries`).set(tenant.auth).query({ limit: 100 }).expect(200);
      if (res.body.data.every((d: any) => d.status === 'succeeded') || i > 100) break;
      await sleep(50);
    }
    expect(res.body.data).toHaveLength(32);
    expect(res.body.data.filter((d: any) => d.status !== 'succeeded')).toEqual([]);
    const retried = res.body.data.filter((d: any) => d.attempts > 1);
    expect(retried.length).toBeGreaterThan(0);
    expect(retried[0].attempt_log.at(-1)).toMatchObject({ succeeded: true, status_code: 200 });
    expect(retried[0].attempt_log[0]).toMatchObject({ succeeded: false, status_code: 503, error: 'HTTP 503' });
  });

  it('a retrying delivery holds back the later ones of its stock row, while other rows keep the endpoint going', async () => {
    const tenant = await newTenant(t);
    const [a, b] = [await newItem(t, tenant, { qty: 100 }), await newItem(t, tenant, { qty: 100 })];
    await newWebhook(t, tenant, receiver, 'held', { event_types: ['stock.changed'] });
    // The first send of A's seq 3 fails; B's succeed, so the endpoint is not paused as a whole.
    let failed = 0;
    receiver.answer = (path, body) =>
      path === '/hooks/held' && body.data.object_id === a.id && body.data.seq === 3 && failed++ < 3 ? 503 : 200;
    try {
      for (let i = 0; i < 6; i++) {
        await Promise.all([
          adjustQty(t, tenant, a.id, { delta: -1 }).expect(200),
          adjustQty(t, tenant, b.id, { delta: -1 }).expect(200),
        ]);
      }
      const got = await receiver.waitFor('held', (g) => new Set(g.map((r) => r.id)).size >= 12, 60_000);
      expect(failed).toBeGreaterThan(0);
      const seqs = (itemId: string) => got.filter((r) => r.body.data.object_id === itemId).map((r) => r.body.data.seq);
      expect(seqs(a.id)).toEqual([2, 3, 4, 5, 6, 7]);
      expect(seqs(b.id)).toEqual([2, 3, 4, 5, 6, 7]);
    } finally {
      receiver.answer = () => 200;
    }
  });

  it('an endpoint that takes batches gets every event once, in batches of at most its size, a row in seq order', async () => {
    const tenant = await newTenant(t);
    const items = [await newItem(t, tenant, { qty: 100 }), await newItem(t, tenant, { qty: 100 })];
    const before = new Set((await feedEvents(t, tenant)).map((e) => e.id));
    const hook = await newWebhook(t, tenant, receiver, 'batched', { batch_size: 10 });
    const view = await t.http.get(`/api/webhooks/${hook.id}`).set(tenant.auth).expect(200);
    expect(view.body.data.batch_size).toBe(10);
    // Down first, so that deliveries pile up and fail, then come in full batches.
    receiver.answer = (path) => (path === '/hooks/batched' ? 503 : 200);
    await Promise.all(
      items.flatMap((item) => [
        ...Array.from({ length: 10 }, () => adjustQty(t, tenant, item.id, { delta: -1 }).expect(200)),
        ...Array.from({ length: 10 }, () => reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] })),
      ]),
    );
    await until(async () => {
      const [{ n }] = await t.db.query(
        `SELECT count(*)::int AS n FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id
         WHERE d.endpoint_id = $1 AND NOT a.succeeded`,
        [hook.id],
      );
      return n > 0;
    }, 60_000);
    receiver.answer = () => 200;

    const events = (await feedEvents(t, tenant)).filter((e) => !before.has(e.id));
    const got = await receiver.waitFor(
      'batched',
      (g) => new Set(eventsReceived(g).map((e) => e.id)).size >= events.length,
      60_000,
    );
    expect(got.filter((r) => !r.verified)).toEqual([]);
    expect(got.every((r) => r.body.type === 'batch' && r.body.data.length >= 1 && r.body.data.length <= 10)).toBe(true);
    expect(got.some((r) => r.body.data.length === 10)).toBe(true);
    // Each event once (nothing failed after the receiver came back), as the feed shows it.
    const received = eventsReceived(got);
    expect(received.map((e) => e.id).sort()).toEqual(events.map((e) => e.id).sort());
    expect(received.find((e) => e.id === events[0]!.id)).toEqual(events[0]);
    for (const seqs of seqsByRow(got).values()) expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    // A batch's webhook-id names its events: a different batch, a different id.
    expect(new Set(got.map((r) => r.id)).size).toBe(got.length);
    expect(got.every((r) => r.id.startsWith('batch_'))).toBe(true);
    const failed = await t.db.query(
      `SELECT count(*)::int AS n FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id
       WHERE d.endpoint_id = $1 AND NOT a.succeeded`,
      [hook.id],
    );
    expect(failed[0].n).toBeGreaterThan(0);
  });

  it('batch_size is 1..100', async () => {
    const tenant = await newTenant(t);
    for (const batch_size of [0, 101, 1.5, '10']) {
      const res = await t.http
        .post('/api/webhooks')
        .set(tenant.auth)
        .send({ url: receiver.url('bad'), batch_size });
      expect([res.status, res.body.error]).toEqual([400, 'validation_failed']);
    }
    const hook = await newWebhook(t, tenant, receiver, 'resized');
    const res = await t.http.patch(`/api/webhooks/${hook.id}`).set(tenant.auth).send({ batch_size: 100 }).expect(200);
    expect(res.body.data.batch_size).toBe(100);
    await t.http.patch(`/api/webhooks/${hook.id}`).set(tenant.auth).send({ batch_size: 101 }).expect(400);
  });

  it('an endpoint failing round after round is disabled, with its webhook.disabled event and audit row', async () => {
    const tenant = await newTenant(t);
    const broken = await newWebhook(t, tenant, receiver, 'broken', { event_types: ['item.created'] });
    await newWebhook(t, tenant, receiver, 'watcher', { event_types: ['webhook.disabled'] });
    receiver.answer = (path) => (path === '/hooks/broken' ? 500 : 200);
    const before = await scrape();
    try {
      // WEBHOOK_MAX_FAILURES is 40 here: make the endpoint look as if it had failed for longer than a day.
      await newItem(t, tenant);
      await receiver.waitFor('broken', () => false, 300).catch(() => undefined);
      await t.db.query(`UPDATE webhook_endpoint SET failing_since = now() - interval '25 hours' WHERE id = $1`, [
        broken.id,
      ]);
      const [disabled] = await receiver.waitFor('watcher', 1);
      expect(disabled!.verified).toBe(true);
      expect(disabled!.body.data).toMatchObject({
        type: 'webhook.disabled',
        object_type: 'webhook',
        object_id: broken.id,
        payload: { active: false, disabled_reason: 'no successful delivery for 24 h', actor: 'system' },
      });
      const view = await t.http.get(`/api/webhooks/${broken.id}`).set(tenant.auth).expect(200);
      expect(view.body.data).toMatchObject({ active: false, disabled_reason: 'no successful delivery for 24 h' });
      const audit = await t.http
        .get('/api/audit-logs')
        .set(tenant.auth)
        .query({ action: 'webhook.disabled' })
        .expect(200);
      expect(audit.body.data).toEqual([
        expect.objectContaining({ actor: 'system', object_id: broken.id, request_id: disabled!.body.data.request_id }),
      ]);
      // Counted: the failed attempts and the disabling (this instance's relay), the endpoint by state (all tenants').
      const after = await scrape();
      const moved = (name: string, labels?: Record<string, string>) =>
        sample(after, name, labels) - sample(before, name, labels);
      expect(moved('inventory_webhook_delivery_attempts_total', { outcome: 'failed' })).toBeGreaterThanOrEqual(1);
      expect(moved('inventory_webhook_endpoints_disabled_total')).toBe(1);
      expect(sample(after, 'inventory_webhook_endpoints', { state: 'disabled' })).toBeGreaterThanOrEqual(1);
      // Turned on again (and the receiver fixed), the waiting delivery goes out.
      receiver.answer = () => 200;
      await t.http.patch(`/api/webhooks/${broken.id}`).set(tenant.auth).send({ active: true }).expect(200);
      const [late] = await receiver.waitFor('broken', 1);
      expect(late!.body.type).toBe('item.created');
    } finally {
      receiver.answer = () => 200;
    }
  });
});
