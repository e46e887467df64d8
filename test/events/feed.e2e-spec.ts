import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { EventsService } from '../../src/events/events.service.js';
import { lockStockRow, moveLockedRow } from '../../src/inventory/stock.repository.js';
import { type EventData, eventsOf, feed, pollFeed, positionOf, readAll } from '../support/events.js';
import { DataSource } from 'typeorm';
import { adjustQty, expectError, expectUnchanged, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { orderOf } from '../support/orders.js';
import { lapse, release, reserveOk, sweep } from '../support/reservations.js';
import { newWarehouse, updateWarehouse } from '../support/stock.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { sleep } from '../support/util.js';

/** The events of one request, as the feed shows them: by type. */
async function typesOf(t: TestApp, tenant: TestTenant, requestId: string): Promise<string[]> {
  return (await eventsOf(t, tenant.id, requestId)).map((e) => e.type);
}

describe('the outbox: every change writes its events in its own transaction', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  it('an item with units: item.created, and stock.changed with the movement and before/after', async () => {
    const res = await t.http
      .post('/api/items')
      .set(tenant.auth)
      .set('X-Request-Id', 'ev-create-1')
      .send({ name: `ev-${randomUUID()}`, sku: 'EV-1', qty: 5 })
      .expect(201);
    const events = await eventsOf(t, tenant.id, 'ev-create-1');
    // A new row going from 0 to 5 available is back in stock as well.
    expect(events.map((e) => e.type).sort()).toEqual(['item.created', 'stock.back_in_stock', 'stock.changed']);
    const changed = events.find((e) => e.type === 'stock.changed')!;
    const created = events.find((e) => e.type === 'item.created')!;
    expect(created).toMatchObject({ object_type: 'item', object_id: res.body.data.id, seq: null });
    expect(created.payload).toMatchObject({
      id: res.body.data.id,
      sku: 'EV-1',
      qty: 5,
      actor: `api_key:${tenant.keyId}`,
    });
    expect(changed).toMatchObject({ object_type: 'stock', object_id: res.body.data.id, seq: 1 });
    expect(changed.payload).toMatchObject({
      item_id: res.body.data.id,
      warehouse_id: tenant.defaultWarehouseId,
      sku: 'EV-1',
      seq: 1,
      movement: { type: 'received', on_hand_delta: 5, reserved_delta: 0, reason: 'initial stock' },
      before: { on_hand: 0, reserved: 0, available: 0 },
      after: { on_hand: 5, reserved: 0, available: 5 },
    });
  });

  it('crossing zero and the reorder point: out_of_stock, back_in_stock and stock.low, each once', async () => {
    const item = await newItem(t, tenant, { qty: 5, reorder_point: 2 });
    const patch = async (delta: number, id: string) => {
      await adjustQty(t, tenant, item.id, { delta }).set('X-Request-Id', id).expect(200);
      return typesOf(t, tenant, id);
    };
    expect(await patch(-1, 'ev-low-1')).toEqual(['stock.changed']);
    expect(await patch(-2, 'ev-low-2')).toEqual(['stock.changed', 'stock.low']);
    expect(await patch(-1, 'ev-low-3')).toEqual(['stock.changed']);
    expect(await patch(-1, 'ev-low-4')).toEqual(['stock.changed', 'stock.out_of_stock']);
    expect(await patch(7, 'ev-low-5')).toEqual(['stock.changed', 'stock.back_in_stock', 'stock.low']);
    const [low, , back] = [
      ...(await eventsOf(t, tenant.id, 'ev-low-2')).slice(1),
      ...(await eventsOf(t, tenant.id, 'ev-low-5')),
    ] as EventData[];
    expect(low!.payload).toMatchObject({ available: 2, reorder_point: 2, low: true, seq: 3 });
    expect(back!.payload).toMatchObject({ available: 7, seq: 6 });
    expect((await eventsOf(t, tenant.id, 'ev-low-5'))[2]!.payload).toMatchObject({ available: 7, low: false });
  });

  it('a hold and its release: reservation.created / released with stock.changed reserved / released', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 2 }] });
    const [created] = await t.db.query(
      `SELECT request_id FROM audit_log WHERE object_id = $1 AND action = 'reservation.created'`,
      [r.id],
    );
    // Within one transaction the events' order is not meaningful (they share its txid); per stock row, seq is.
    const held = await eventsOf(t, tenant.id, created.request_id);
    const byType = (events: EventData[], type: string) => events.find((e) => e.type === type)!;
    expect(held.map((e) => e.type).sort()).toEqual(['reservation.created', 'stock.changed']);
    expect(byType(held, 'stock.changed').payload).toMatchObject({
      movement: { type: 'reserved', reference: `reservation:${r.id}` },
      after: { reserved: 2 },
    });
    expect(byType(held, 'reservation.created').payload).toMatchObject({
      id: r.id,
      status: 'active',
      lines: [{ item_id: item.id, quantity: 2 }],
    });
    await release(t, tenant, r.id).set('X-Request-Id', 'ev-release').expect(200);
    const released = await eventsOf(t, tenant.id, 'ev-release');
    expect(released.map((e) => e.type).sort()).toEqual(['reservation.released', 'stock.changed']);
    expect(byType(released, 'stock.changed').payload).toMatchObject({ movement: { type: 'released' } });
  });

  it('an order: order.created, then confirm (committed) and cancel (restocked), each with its status change', async () => {
    const item = await newItem(t, tenant, { qty: 4 });
    const order = await orderOf(t, tenant, item.id, 3);
    const [created] = await t.db.query(
      `SELECT request_id FROM audit_log WHERE object_id = $1 AND action = 'order.created'`,
      [order.id],
    );
    expect(await typesOf(t, tenant, created.request_id)).toEqual(
      expect.arrayContaining(['stock.changed', 'reservation.created', 'order.created']),
    );
    const step = async (to: string, id: string) => {
      await t.http
        .post(`/api/orders/${order.id}/transitions`)
        .set(tenant.auth)
        .set('X-Request-Id', id)
        .send({ to })
        .expect(200);
      return eventsOf(t, tenant.id, id);
    };
    const confirmed = await step('confirmed', 'ev-confirm');
    expect(confirmed.map((e) => e.type)).toEqual(
      expect.arrayContaining(['stock.changed', 'reservation.committed', 'order.status_changed']),
    );
    const move = confirmed.find((e) => e.type === 'stock.changed')!;
    expect(move.payload).toMatchObject({
      movement: { type: 'committed', on_hand_delta: -3, reserved_delta: -3, reference: `order:${order.id}` },
      after: { on_hand: 1, reserved: 0, available: 1 },
    });
    expect(confirmed.find((e) => e.type === 'order.status_changed')!.payload).toMatchObject({ status: 'confirmed' });
    const cancelled = await step('cancelled', 'ev-cancel');
    expect(cancelled.find((e) => e.type === 'stock.changed')!.payload).toMatchObject({
      movement: { type: 'restocked', on_hand_delta: 3 },
      after: { on_hand: 4 },
    });
  });

  it('what the sweeper does on its own: expiry and order auto-cancel, under the request id of their audit rows', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const order = await orderOf(t, tenant, item.id, 1);
    const hold = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    await lapse(t, [hold.id, order.reservation_id]);
    expect(await sweep(t)).toBeGreaterThanOrEqual(2);
    const [audit] = await t.db.query(
      `SELECT request_id FROM audit_log WHERE object_id = $1 AND action = 'reservation.expired'`,
      [hold.id],
    );
    const events = await eventsOf(t, tenant.id, audit.request_id);
    expect(events.filter((e) => e.type === 'reservation.expired').map((e) => e.object_id)).toEqual(
      expect.arrayContaining([hold.id, order.reservation_id]),
    );
    expect(events.filter((e) => e.type === 'stock.changed').map((e) => e.payload.movement.type)).toEqual([
      'expired',
      'expired',
    ]);
    const cancel = events.find((e) => e.type === 'order.status_changed' && e.object_id === order.id);
    expect(cancel?.payload).toMatchObject({ status: 'cancelled', reason: 'reservation_expired', actor: 'system' });
  });

  it('warehouses and item updates and deletes', async () => {
    const wh = await newWarehouse(t, tenant);
    const [made] = await t.db.query(
      `SELECT request_id FROM audit_log WHERE object_id = $1 AND action = 'warehouse.created'`,
      [wh.id],
    );
    expect(await typesOf(t, tenant, made.request_id)).toEqual(['warehouse.created']);
    await updateWarehouse(t, tenant, wh.id, { priority: 5 }).set('X-Request-Id', 'ev-wh-update').expect(200);
    expect(await typesOf(t, tenant, 'ev-wh-update')).toEqual(['warehouse.updated']);
    const item = await newItem(t, tenant);
    await t.http
      .patch(`/api/items/${item.id}`)
      .set(tenant.auth)
      .set('X-Request-Id', 'ev-item-update')
      .send({ description: 'red' })
      .expect(200);
    expect(await typesOf(t, tenant, 'ev-item-update')).toEqual(['item.updated']);
    await t.http.delete(`/api/items/${item.id}`).set(tenant.auth).set('X-Request-Id', 'ev-item-delete').expect(204);
    expect(await typesOf(t, tenant, 'ev-item-delete')).toEqual(['item.deleted']);
  });

  it('a refused change writes no event (the snapshot includes events and movements)', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    await expectUnchanged(t, tenant, () => adjustQty(t, tenant, item.id, { delta: -5 }), 400, 'insufficient_stock');
    await expectUnchanged(
      t,
      tenant,
      () =>
        t.http
          .post('/api/reservations')
          .set(tenant.auth)
          .send({ lines: [{ item_id: item.id, quantity: 2 }] }),
      400,
      'insufficient_stock',
    );
  });
});

describe('the feed', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
  });
  afterAll(() => t.close());

  it('pages through every event once, in order, and filters by type; a tenant sees only its own', async () => {
    const [a, b] = [await newTenant(t), await newTenant(t)];
    const item = await newItem(t, a, { qty: 10 });
    for (let i = 0; i < 7; i++) await adjustQty(t, a, item.id, { delta: 1 }).expect(200);
    await newItem(t, b, { qty: 1 });
    const all = await readAll(t, a);
    const expected = await t.db.query(`SELECT e.id::text FROM event e WHERE e.tenant_id = $1 ORDER BY e.txid, e.id`, [
      a.id,
    ]);
    expect(all.events.map((e) => e.id)).toEqual(expected.map((e: { id: string }) => e.id));
    expect(all.events.every((e) => e.tenant_id === a.id)).toBe(true);
    const paged: EventData[] = [];
    let after: string | undefined;
    for (let page = 0; paged.length < all.events.length && page < 20; page++) {
      const res = await feed(t, a, { limit: 3, wait: 5, ...(after ? { after } : {}) }).expect(200);
      expect(res.body.page.limit).toBe(3);
      expect(res.body.data.length).toBeLessThanOrEqual(3);
      paged.push(...res.body.data);
      after = res.body.page.next_cursor;
    }
    expect(paged.map((e) => e.id)).toEqual(all.events.map((e) => e.id));
    // Everything is visible by now (readAll saw it all): filters need no waiting.
    const changed = await feed(t, a, { types: 'stock.changed', limit: 100 }).expect(200);
    expect(changed.body.data.map((e: EventData) => e.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    const some = await feed(t, a, { types: 'item.created,stock.changed', limit: 100 }).expect(200);
    expect(some.body.data).toHaveLength(9);
  });

  it('continues from its cursor: the next call has only what came after', async () => {
    const tenant = await newTenant(t);
    const item = await newItem(t, tenant, { qty: 1 });
    const { cursor } = await readAll(t, tenant);
    expect((await feed(t, tenant, { after: cursor }).expect(200)).body.data).toEqual([]);
    await adjustQty(t, tenant, item.id, { delta: 2 }).expect(200);
    const next = await feed(t, tenant, { after: cursor, wait: 20 }).expect(200);
    expect(next.body.data.map((e: EventData) => e.type)).toEqual(['stock.changed']);
    expect(next.body.page.next_cursor).not.toEqual(cursor);
  });

  it('with types, the cursor moves past the events of other types it passed over, and misses none it wants', async () => {
    const tenant = await newTenant(t);
    const item = await newItem(t, tenant, { qty: 3 });
    for (let i = 0; i < 3; i++) await adjustQty(t, tenant, item.id, { delta: 1 }).expect(200);
    const { events, cursor: end } = await readAll(t, tenant);
    const first = await feed(t, tenant, { types: 'stock.out_of_stock', wait: 5 }).expect(200);
    expect(first.body.data).toEqual([]);
    // The cursor stands after the last event the read could see, not at the start.
    expect(positionOf(first.body.page.next_cursor)).toEqual(positionOf(end));
    expect(events.length).toBeGreaterThan(0);
    await adjustQty(t, tenant, item.id, { delta: -6 }).expect(200);
    const next = await feed(t, tenant, { types: 'stock.out_of_stock', after: first.body.page.next_cursor, wait: 20 });
    expect(next.body.data.map((e: EventData) => e.type)).toEqual(['stock.out_of_stock']);
    expectError(await feed(t, tenant, { types: '' }), 400, 'validation_failed');
  });

  it('long polling: wait holds the request until an event arrives, or answers empty when the time is up', async () => {
    const tenant = await newTenant(t);
    const item = await newItem(t, tenant, { qty: 1 });
    const { cursor } = await readAll(t, tenant);
    let started = Date.now();
    const empty = await feed(t, tenant, { after: cursor, wait: 1 }).expect(200);
    expect(empty.body.data).toEqual([]);
    expect(empty.body.page.next_cursor).toBe(cursor);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    started = Date.now();
    const waiting = feed(t, tenant, { after: cursor, wait: 20 }).then((r) => r);
    await sleep(300);
    await adjustQty(t, tenant, item.id, { delta: 1 }).expect(200);
    const arrived = await waiting;
    expect(arrived.status).toBe(200);
    expect(arrived.body.data.map((e: EventData) => e.type)).toEqual(['stock.changed']);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('bad parameters are 400 JSON, never a 500', async () => {
    const tenant = await newTenant(t);
    for (const query of [
      { after: 'nonsense' },
      { after: 'eyJ4Ijp9.abc' },
      { limit: 0 },
      { limit: 101 },
      { limit: 'ten' },
      { wait: 31 },
      { wait: -1 },
      { types: 'stock.nothing' },
      { unknown: 1 },
    ]) {
      const res = await feed(t, tenant, query as unknown as Record<string, string | number>);
      expect({ query, status: res.status }).toEqual({ query, status: 400 });
      expectError(res, 400, res.body.error);
      expect(['validation_failed', 'invalid_cursor']).toContain(res.body.error);
    }
    // Another list's cursor is not a feed cursor.
    const other = await t.http.get('/api/audit-logs').set(tenant.auth).query({ limit: 1 }).expect(200);
    if (other.body.page.next_cursor) {
      expectError(await feed(t, tenant, { after: other.body.page.next_cursor }), 400, 'invalid_cursor');
    }
  });

  it('purges events older than the retention, and only those', async () => {
    const tenant = await newTenant(t);
    const item = await newItem(t, tenant, { qty: 1 });
    await adjustQty(t, tenant, item.id, { delta: 1 }).expect(200);
    const [{ id: old }] = await t.db.query(
      `WITH aged AS (UPDATE event SET occurred_at = now() - interval '8 days'
                     WHERE id = (SELECT min(id) FROM event WHERE tenant_id = $1) RETURNING id)
       SELECT id::text FROM aged`,
      [tenant.id],
    );
    const before = await t.db.query(`SELECT e.id::text FROM event e WHERE e.tenant_id = $1 ORDER BY e.id`, [tenant.id]);
    expect(await t.app.get(EventsService).purgeOlderThan(7)).toBeGreaterThanOrEqual(1);
    const after = await t.db.query(`SELECT e.id::text FROM event e WHERE e.tenant_id = $1 ORDER BY e.id`, [tenant.id]);
    expect(after).toEqual(before.filter((e: { id: string }) => e.id !== old));
  });
});

describe('purged cursors', () => {
  let t: TestApp;
  beforeAll(async () => {
    // The relay is off (test-app): a loopback URL is never called.
    t = await startTestApp({ ENABLE_CRON: 'false', WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
  });
  afterAll(() => t.close());

  const age = (tenant: TestTenant, ids: string[]) =>
    t.db.query(`UPDATE event SET occurred_at = now() - interval '8 days' WHERE tenant_id = $1 AND id = ANY($2)`, [
      tenant.id,
      ids,
    ]);
  const purge = () => t.app.get(EventsService).purgeOlderThan(7);

  /** The tenant's events one by one, with the cursor after each (cursors[0]: before the first). */
  async function oneByOne(tenant: TestTenant) {
    const { events } = await readAll(t, tenant);
    const cursors = [(await feed(t, tenant, { limit: 1 }).expect(200)).body.page.next_cursor as string];
    cursors.unshift(undefined as unknown as string);
    let after = cursors[1]!;
    for (let i = 1; i < events.length; i++) {
      after = (await feed(t, tenant, { after, limit: 1 }).expect(200)).body.page.next_cursor;
      cursors.push(after);
    }
    return { events, cursors };
  }

  it('a cursor before the purge mark is 410 cursor_expired; one at it reads on; none starts after it', async () => {
    const tenant = await newTenant(t);
    const other = await newTenant(t);
    const item = await newItem(t, tenant, { qty: 1 });
    for (let i = 0; i < 3; i++) await adjustQty(t, tenant, item.id, { delta: 1 }).expect(200);
    const { events, cursors } = await oneByOne(tenant);
    expect(events.length).toBeGreaterThanOrEqual(5);
    // The first two events in feed order grow old: the mark is the second.
    await age(tenant, [events[0]!.id, events[1]!.id]);
    expect(await purge()).toBe(2);

    // cursors[i] is after events[i - 1]: the one after the first event misses the second.
    expectError(await feed(t, tenant, { after: cursors[1]! }), 410, 'cursor_expired');
    expect((await feed(t, tenant, { after: cursors[2]!, limit: 1 }).expect(200)).body.data[0].id).toBe(events[2]!.id);
    const fresh = await readAll(t, tenant);
    expect(fresh.events.map((e) => e.id)).toEqual(events.slice(2).map((e) => e.id));
    // Another tenant's feed does not know this tenant's mark (cursors are not bound to a tenant: only positions).
    await feed(t, other, { after: cursors[1]! }).expect(200);
    // A replay from before the mark is refused too, and makes nothing.
    const hook = await t.http
      .post('/api/webhooks')
      .set(tenant.auth)
      .send({ url: 'http://127.0.0.1:9/hook' })
      .expect(201);
    const replay = await t.http
      .post(`/api/webhooks/${hook.body.data.id}/replay`)
      .set(tenant.auth)
      .send({ after: cursors[1] });
    expectError(replay, 410, 'cursor_expired');
    const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM webhook_delivery WHERE endpoint_id = $1', [
      hook.body.data.id,
    ]);
    expect(n).toBe(0);
  });

  it('an idle tenant whose every event was purged reads on from the cursor it is given', async () => {
    const tenant = await newTenant(t);
    await newItem(t, tenant, { qty: 1 });
    const { events } = await readAll(t, tenant);
    await age(
      tenant,
      events.map((e) => e.id),
    );
    expect(await purge()).toBe(events.length);
    const first = await feed(t, tenant).expect(200);
    expect(first.body.data).toEqual([]);
    const again = await feed(t, tenant, { after: first.body.page.next_cursor, wait: 1 }).expect(200);
    expect(again.body.data).toEqual([]);
    await newItem(t, tenant, { qty: 0 });
    const later = await readAll(t, tenant, again.body.page.next_cursor);
    expect(later.events.map((e) => e.type)).toEqual(['item.created']);
  });

  it('the purge deletes the start of the feed only: an old event after a kept one stays', async () => {
    const tenant = await newTenant(t);
    const item = await newItem(t, tenant, { qty: 1 });
    await adjustQty(t, tenant, item.id, { delta: 1 }).expect(200);
    const { events } = await readAll(t, tenant);
    // Only the last event in feed order is old (a transaction started long ago that ordered late).
    await age(tenant, [events.at(-1)!.id]);
    expect(await purge()).toBe(0);
    expect((await readAll(t, tenant)).events.map((e) => e.id)).toEqual(events.map((e) => e.id));
    const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM event_purge_mark WHERE tenant_id = $1', [
      tenant.id,
    ]);
    expect(n).toBe(0);
  });
});

describe('the feed gives one stock row’s events in seq order', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
  });
  afterAll(() => t.close());

  /** The seq of each stock.changed event of a row, in feed order. */
  const seqsOf = (events: EventData[], itemId: string) =>
    events.filter((e) => e.type === 'stock.changed' && e.object_id === itemId).map((e) => e.seq);

  it('a transaction that took its id before another moved the row comes after it', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const { cursor: start } = await readAll(t, tenant);
    const runner = t.app.get(DataSource).createQueryRunner();
    try {
      await runner.startTransaction();
      // A takes its transaction id first (as an idempotency claim or an item lock would)...
      await runner.query('SELECT pg_current_xact_id()');
      // ... B, with a larger id, moves the row (seq 2) and commits ...
      await adjustQty(t, tenant, item.id, { delta: 1 }).expect(200);
      // ... then A moves it (seq 3) and commits.
      const locked = await lockStockRow(runner.manager, tenant.id, item.id, tenant.defaultWarehouseId);
      expect(locked?.row).toBeDefined();
      await moveLockedRow(runner.manager, {
        item_id: item.id,
        warehouse_id: tenant.defaultWarehouseId,
        on_hand: 1,
        reserved: 0,
        type: 'adjusted',
        actor: 'test',
        request_id: 'late-id-first',
      });
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
    const { events } = await readAll(t, tenant, start);
    expect(seqsOf(events, item.id)).toEqual([2, 3]);
  });

  it('under load: writers whose transactions take their ids before the row lock, every row in seq order', async () => {
    const items = await Promise.all(Array.from({ length: 2 }, () => newItem(t, tenant, { qty: 1_000 })));
    const reader = pollFeed(t, tenant, (await readAll(t, tenant)).cursor);
    // An Idempotency-Key is claimed (a write: the transaction's id) before the stock row is locked.
    const writer = async (w: number) => {
      for (let i = 0; i < 12; i++) {
        const item = items[(w + i) % items.length]!;
        const key = { 'Idempotency-Key': randomUUID() };
        if (i % 2 === 0) await adjustQty(t, tenant, item.id, { delta: 1 }).set(key).expect(200);
        else
          await t.http
            .post('/api/reservations')
            .set(tenant.auth)
            .set(key)
            .send({ lines: [{ item_id: item.id, quantity: 1 }] })
            .expect(201);
      }
    };
    await Promise.all(Array.from({ length: 16 }, (_, w) => writer(w)));
    const got = await reader.stop();
    for (const item of items) {
      const seqs = seqsOf(got, item.id);
      expect(seqs.length).toBe(16 * 6);
      expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    }
  });
});

describe('the feed never skips an event that commits after a later-numbered one', () => {
  let t: TestApp;
  let tenant: TestTenant;
  const sessions: pg.Client[] = [];

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
  });
  afterAll(async () => {
    await Promise.all(sessions.map((s) => s.end()));
    await t.close();
  });

  async function session(): Promise<pg.Client> {
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    sessions.push(c);
    return c;
  }
  const insert = (c: pg.Client, label: string) =>
    c.query(
      `INSERT INTO event (tenant_id, type, object_type, object_id, request_id, payload)
       VALUES ($1, 'item.updated', 'item', gen_random_uuid(), $2, '{}') RETURNING id::text`,
      [tenant.id, label],
    );

  it('two transactions: the one numbered first commits last, and the reader still gets it', async () => {
    const [a, b] = [await session(), await session()];
    const { cursor: start } = await readAll(t, tenant);
    // B takes its transaction id first; A then writes event n, B writes n + 1 and commits.
    await b.query('BEGIN');
    await b.query('SELECT pg_current_xact_id()');
    await a.query('BEGIN');
    const first = (await insert(a, 'A')).rows[0].id as string;
    const second = (await insert(b, 'B')).rows[0].id as string;
    expect(BigInt(first)).toBeLessThan(BigInt(second));
    await b.query('COMMIT');
    const seen = await readAll(t, tenant, start);
    expect(seen.events.map((e) => e.request_id)).toEqual(['B']);
    // A reader that paged by id alone would now be past `first` for good:
    const byId = await t.db.query(`SELECT id FROM event WHERE tenant_id = $1 AND id > $2`, [tenant.id, second]);
    await a.query('COMMIT');
    expect(byId).toEqual([]);
    const later = await readAll(t, tenant, seen.cursor);
    expect(later.events.map((e) => [e.request_id, e.id])).toEqual([['A', first]]);
  });

  it('an event of a transaction still in flight holds back the ones of transactions that began after it', async () => {
    const [a, b] = [await session(), await session()];
    const { cursor: start } = await readAll(t, tenant);
    await a.query('BEGIN');
    await insert(a, 'early');
    await b.query('BEGIN');
    await insert(b, 'late');
    await b.query('COMMIT');
    expect((await feed(t, tenant, { after: start, wait: 1 }).expect(200)).body.data).toEqual([]);
    await a.query('COMMIT');
    expect((await readAll(t, tenant, start)).events.map((e) => e.request_id)).toEqual(['early', 'late']);
  });

  it('under load: writers on many connections, a reader polling as fast as it can, every event exactly once in order', async () => {
    const items = await Promise.all(Array.from({ length: 4 }, () => newItem(t, tenant, { qty: 1_000 })));
    const { events: before, cursor: start } = await readAll(t, tenant);
    const reader = pollFeed(t, tenant, start);
    const writer = async (w: number) => {
      for (let i = 0; i < 25; i++) {
        const item = items[(w + i) % items.length]!;
        if (i % 3 === 0) await adjustQty(t, tenant, item.id, { delta: 1 }).expect(200);
        else await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, w) => writer(w)));
    const got = await reader.stop();
    // Nothing was being written when the reader started: every later event comes after its cursor.
    const all: { id: string }[] = await t.db.query(
      `SELECT e.id::text FROM event e WHERE e.tenant_id = $1 ORDER BY e.txid, e.id`,
      [tenant.id],
    );
    expect(before.map((e) => e.id)).toEqual(all.slice(0, before.length).map((e) => e.id));
    const twice = got.filter((e, i) => got.findIndex((x) => x.id === e.id) !== i).map((e) => e.id);
    expect(twice).toEqual([]);
    expect(got.map((e) => e.id)).toEqual(all.slice(before.length).map((e) => e.id));
    // 9 adjustments (one event each) and 16 holds (two) per writer.
    expect(got.length).toBe(12 * (9 + 16 * 2));
  });
});
