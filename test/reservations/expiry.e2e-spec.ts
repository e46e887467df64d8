import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { auditOf, expectUnchanged, newItem, newTenant, snapshot, tally, type TestTenant } from '../support/fixtures.js';
import { addStock, lockStock, newWarehouse, stockRow } from '../support/stock.js';
import {
  assertInvariant,
  extend,
  getReservation,
  lapse,
  release,
  reservationStatus,
  reserve,
  reserveOk,
  sweep,
} from '../support/reservations.js';
import { prng, sleep } from '../support/util.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// sweep() is global: it also expires lapsed holds of other test files' tenants.
// Every assertion here is therefore about this file's own tenants only.

describe('reservation expiry', () => {
  let t: TestApp;
  let t2: TestApp; // a second instance on the same database, as in a multi-instance deployment
  let tenant: TestTenant;

  beforeAll(async () => {
    [t, t2] = await Promise.all([startTestApp({ ENABLE_CRON: 'false' }), startTestApp({ ENABLE_CRON: 'false' })]);
  });
  afterAll(async () => {
    await Promise.all([t.close(), t2.close()]);
  });
  beforeEach(async () => {
    tenant = await newTenant(t);
  });

  const expiredIds = async () =>
    (await auditOf(t, tenant.id, 'reservation.expired')).map((a: { object_id: string }) => a.object_id).sort();

  it('sweep: lapsed holds give their units back and become expired, one reservation.expired row each (actor system)', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const r1 = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 2 }] });
    const r2 = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    const live = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] });
    await lapse(t, [r1.id, r2.id]);

    expect(await sweep(t)).toBeGreaterThanOrEqual(2);
    const statuses = [r1, r2, live].map((r) => reservationStatus(t, r.id));
    expect(await Promise.all(statuses)).toEqual(['expired', 'expired', 'active']);
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 5, reserved: 1 });
    const rows = await auditOf(t, tenant.id, 'reservation.expired');
    expect(rows.map((a: { object_id: string }) => a.object_id).sort()).toEqual([r1.id, r2.id].sort());
    for (const row of rows) {
      expect(row).toMatchObject({
        actor: 'system',
        object_type: 'reservation',
        old_value: { status: 'active', expires_at: expect.any(String) },
        new_value: { status: 'expired', reason: 'ttl_elapsed' },
        request_id: expect.stringMatching(/^sweep-/),
      });
    }
    expect((await getReservation(t, tenant, r1.id).expect(200)).body.data.status).toBe('expired');

    // A second sweep finds nothing more of this tenant.
    const before = await snapshot(t, tenant.id);
    await sweep(t);
    expect(await snapshot(t, tenant.id)).toEqual(before);
    await assertInvariant(t, tenant.id);
  });

  it('on the real clock: ttl_seconds 1 reads as expired after a second and is swept', async () => {
    const item = await newItem(t, tenant, { qty: 1 });
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }], ttl_seconds: 1 });
    expect((await getReservation(t, tenant, r.id).expect(200)).body.data.status).toBe('active');
    await sleep(1100);
    expect((await getReservation(t, tenant, r.id).expect(200)).body.data.status).toBe('expired');
    await sweep(t);
    expect(await reservationStatus(t, r.id)).toBe('expired');
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 1, reserved: 0 });
  });

  it('sweeps in batches until nothing is left', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const ids: string[] = [];
    for (let i = 0; i < 5; i++)
      ids.push((await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] })).id);
    await lapse(t, ids);
    expect(await sweep(t, 2)).toBeGreaterThanOrEqual(5);
    expect(await expiredIds()).toEqual([...ids].sort());
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 5, reserved: 0 });
  });

  it('racing sweeps (two per instance, two instances) expire every hold exactly once', async () => {
    const w = await newWarehouse(t, tenant);
    const a = await newItem(t, tenant, { qty: 15 });
    const b = await newItem(t, tenant, { qty: 30 });
    await addStock(t, tenant, a.id, 15, w.id);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const lines =
        i % 3 === 0
          ? [
              { item_id: a.id, quantity: 1 },
              { item_id: b.id, quantity: 1 },
            ]
          : [{ item_id: i % 2 ? a.id : b.id, quantity: 1 }];
      ids.push((await reserveOk(t, tenant, { lines })).id);
    }
    await lapse(t, ids);
    const counts = await Promise.all([sweep(t, 4), sweep(t, 4), sweep(t2, 4), sweep(t2, 4)]);
    expect(counts.reduce((x, y) => x + y, 0)).toBeGreaterThanOrEqual(30);
    expect(await expiredIds()).toEqual([...ids].sort());
    for (const id of ids) expect(await reservationStatus(t, id)).toBe('expired');
    for (const [item, wh] of [
      [a.id, tenant.defaultWarehouseId],
      [a.id, w.id],
      [b.id, tenant.defaultWarehouseId],
    ] as const) {
      expect((await stockRow(t, item, wh))!.reserved).toBe(0);
    }
    await assertInvariant(t, tenant.id);
  });

  it('a lapsed, unswept hold reads as expired everywhere and cannot be extended (400 reservation_expired)', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 2 }], reference: 'lapsed' });
    await lapse(t, r.id);
    expect((await getReservation(t, tenant, r.id).expect(200)).body.data.status).toBe('expired');
    const list = (status: string) =>
      t.http.get('/api/reservations').set(tenant.auth).query({ status, reference: 'lapsed' }).expect(200);
    expect((await list('expired')).body.data.map((x: { id: string }) => x.id)).toEqual([r.id]);
    expect((await list('active')).body.data).toEqual([]);
    await expectUnchanged(t, tenant, () => extend(t, tenant, r.id, { ttl_seconds: 600 }), 400, 'reservation_expired');
    expect(await reservationStatus(t, r.id)).toBe('active');
  });

  it('its units are reusable at once: the reserving request expires it and writes reservation.expired', async () => {
    const a = await newItem(t, tenant, { qty: 2 });
    const b = await newItem(t, tenant, { qty: 1 });
    const old = await reserveOk(t, tenant, {
      lines: [
        { item_id: a.id, quantity: 2 },
        { item_id: b.id, quantity: 1 },
      ],
    });
    await lapse(t, old.id);
    const res = await reserve(t, tenant, { lines: [{ item_id: a.id, quantity: 2 }] });
    expect(res.status).toBe(201);
    expect(await reservationStatus(t, old.id)).toBe('expired');
    // The whole lapsed hold is gone, including its line on the other item.
    expect(await stockRow(t, a.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 2, reserved: 2 });
    expect(await stockRow(t, b.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 1, reserved: 0 });
    expect(await auditOf(t, tenant.id, 'reservation.expired', old.id)).toEqual([
      expect.objectContaining({ actor: 'system', request_id: res.headers['x-request-id'] }),
    ]);
    await sweep(t);
    expect(await auditOf(t, tenant.id, 'reservation.expired', old.id)).toHaveLength(1);
    await assertInvariant(t, tenant.id);
  });

  it('a lapsed hold whose other stock row is locked elsewhere is left to the sweeper; the request does not wait', async () => {
    const a = await newItem(t, tenant, { qty: 2 });
    const b = await newItem(t, tenant, { qty: 1 });
    const old = await reserveOk(t, tenant, {
      lines: [
        { item_id: a.id, quantity: 2 },
        { item_id: b.id, quantity: 1 },
      ],
    });
    await lapse(t, old.id);
    const unlock = await lockStock(b.id);
    try {
      const started = Date.now();
      await expectUnchanged(
        t,
        tenant,
        () => reserve(t, tenant, { lines: [{ item_id: a.id, quantity: 2 }] }),
        400,
        'insufficient_stock',
      );
      expect(Date.now() - started).toBeLessThan(2_000);
    } finally {
      await unlock();
    }
    await reserveOk(t, tenant, { lines: [{ item_id: a.id, quantity: 2 }] });
    expect(await reservationStatus(t, old.id)).toBe('expired');
    await assertInvariant(t, tenant.id);
  });

  it('releasing a lapsed, unswept hold expires it: 200 expired, reservation.expired and no reservation.released row', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 2 }] });
    await lapse(t, r.id);
    const res = await release(t, tenant, r.id);
    expect(res.status).toBe(200);
    expect(res.body.data.status).toBe('expired');
    expect(await reservationStatus(t, r.id)).toBe('expired');
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 2, reserved: 0 });
    expect(await auditOf(t, tenant.id, 'reservation.expired', r.id)).toEqual([
      expect.objectContaining({ actor: 'system', request_id: res.headers['x-request-id'] }),
    ]);
    expect(await auditOf(t, tenant.id, 'reservation.released', r.id)).toEqual([]);
  });

  it('a swept hold: release is an idempotent 200, extend is 400 reservation_expired; nothing changes', async () => {
    const item = await newItem(t, tenant, { qty: 2 });
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 2 }] });
    await lapse(t, r.id);
    await sweep(t);
    expect(await reservationStatus(t, r.id)).toBe('expired');
    const before = await snapshot(t, tenant.id);
    const rel = await release(t, tenant, r.id);
    expect(rel.status).toBe(200);
    expect(rel.body.data.status).toBe('expired');
    expect(await snapshot(t, tenant.id)).toEqual(before);
    await expectUnchanged(t, tenant, () => extend(t, tenant, r.id, { ttl_seconds: 60 }), 400, 'reservation_expired');
  });

  it('sweeps racing with new holds on the same rows: no deadlock, each lapsed hold expired once, invariant holds', async () => {
    const w = await newWarehouse(t, tenant, { priority: 1 });
    const a = await newItem(t, tenant, { qty: 10 });
    const b = await newItem(t, tenant, { qty: 10 });
    await addStock(t, tenant, a.id, 10, w.id);
    await addStock(t, tenant, b.id, 10, w.id);
    const lapsed: string[] = [];
    for (let i = 0; i < 12; i++) {
      const lines =
        i % 2
          ? [
              { item_id: a.id, quantity: 1 },
              { item_id: b.id, quantity: 1 },
            ]
          : [
              { item_id: b.id, quantity: 1 },
              { item_id: a.id, quantity: 1 },
            ];
      lapsed.push((await reserveOk(t, tenant, { lines })).id);
    }
    await lapse(t, lapsed);
    const rand = prng(3);
    const bodies = Array.from({ length: 24 }, (_, i) => {
      const q = () => 1 + Math.floor(rand() * 2);
      const lines = [
        { item_id: a.id, quantity: q() },
        { item_id: b.id, quantity: q() },
      ];
      return { lines: i % 2 ? lines.reverse() : lines };
    });
    const [holds] = await Promise.all([
      Promise.all(bodies.map((body) => reserve(t, tenant, body))),
      sweep(t, 3),
      sweep(t2, 3),
    ]);
    const outcomes = Object.keys(tally(holds as Response[]));
    expect(outcomes.filter((k) => !['201', '400 insufficient_stock'].includes(k))).toEqual([]);
    await sweep(t); // whatever a busy moment left behind
    expect(await expiredIds()).toEqual([...lapsed].sort());
    await assertInvariant(t, tenant.id);
  });
});
