import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { Response } from 'supertest';
import { auditOf, newItem, newTenant, snapshot, tally, type TestTenant } from '../support/fixtures.js';
import { addStock, newWarehouse, stockRow } from '../support/stock.js';
import { assertInvariant, extend, type HoldLine, release, reserve, reserveOk } from '../support/reservations.js';
import { prng } from '../support/util.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Only these outcomes are acceptable under contention: never a 500 (deadlock) or 503 (lock timeout). */
const expectOnly = (responses: Response[], allowed: string[]) => {
  expect(Object.keys(tally(responses)).filter((k) => !allowed.includes(k))).toEqual([]);
};

describe('reservations under concurrency', () => {
  let t: TestApp;
  let tenant: TestTenant;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
  });
  afterAll(() => t.close());
  beforeEach(async () => {
    tenant = await newTenant(t);
  });

  it('exactly N: 50 parallel holds of 1 on stock 5 give exactly 5×201 and 45×400', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => reserve(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] })),
    );
    expect(tally(responses)).toEqual({ '201': 5, '400 insufficient_stock': 45 });
    for (const r of responses.filter((x) => x.status === 400)) {
      expect(r.body.details).toEqual([{ item_id: item.id, requested: 1, available: 0 }]);
    }
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 5, reserved: 5 });
    const ids = responses.filter((x) => x.status === 201).map((x) => x.body.data.id);
    expect(new Set(ids).size).toBe(5);
    expect(
      (await auditOf(t, tenant.id, 'reservation.created')).map((a: { object_id: string }) => a.object_id).sort(),
    ).toEqual([...ids].sort());
    await assertInvariant(t, tenant.id);
  });

  it('random quantities 1..4 over 40 parallel holds on stock 30: accepted sum ≤ 30, equals reserved, no false refusal', async () => {
    const item = await newItem(t, tenant, { qty: 30 });
    const rand = prng(42);
    const quantities = Array.from({ length: 40 }, () => 1 + Math.floor(rand() * 4));
    const responses = await Promise.all(
      quantities.map((quantity) => reserve(t, tenant, { lines: [{ item_id: item.id, quantity }] })),
    );
    expectOnly(responses, ['201', '400 insufficient_stock']);
    const accepted = quantities.filter((_, i) => responses[i]!.status === 201);
    const refused = quantities.filter((_, i) => responses[i]!.status === 400);
    const sum = accepted.reduce((a, b) => a + b, 0);
    expect(sum).toBeLessThanOrEqual(30);
    const row = await stockRow(t, item.id, tenant.defaultWarehouseId);
    expect(row).toEqual({ on_hand: 30, reserved: sum });
    // Availability only shrinks here, so every refusal must still be justified at the end.
    expect(refused.length).toBeGreaterThan(0);
    expect(Math.min(...refused)).toBeGreaterThan(30 - sum);
    for (const [i, r] of responses.entries()) {
      if (r.status === 400) expect(r.body.details[0].available).toBeLessThan(quantities[i]!);
    }
    await assertInvariant(t, tenant.id);
  });

  it('all or nothing: a line that cannot be served keeps the other line from holding anything, even in parallel', async () => {
    const a = await newItem(t, tenant, { qty: 100 });
    const b = await newItem(t, tenant, { qty: 2 });
    const before = await snapshot(t, tenant.id);
    const shortOnB = await Promise.all(
      Array.from({ length: 20 }, () =>
        reserve(t, tenant, {
          lines: [
            { item_id: a.id, quantity: 1 },
            { item_id: b.id, quantity: 3 },
          ],
        }),
      ),
    );
    expect(tally(shortOnB)).toEqual({ '400 insufficient_stock': 20 });
    expect(await snapshot(t, tenant.id)).toEqual(before);

    const racing = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        reserve(t, tenant, {
          lines:
            i % 2
              ? [
                  { item_id: a.id, quantity: 1 },
                  { item_id: b.id, quantity: 1 },
                ]
              : [
                  { item_id: b.id, quantity: 1 },
                  { item_id: a.id, quantity: 1 },
                ],
        }),
      ),
    );
    expect(tally(racing)).toEqual({ '201': 2, '400 insufficient_stock': 18 });
    expect(await stockRow(t, a.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 100, reserved: 2 });
    expect(await stockRow(t, b.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 2, reserved: 2 });
    await assertInvariant(t, tenant.id);
  });

  it('no deadlock: two-line holds in opposite orders over random warehouses, racing releases and extends', async () => {
    const w1 = await newWarehouse(t, tenant, { priority: 5 });
    const w2 = await newWarehouse(t, tenant, { priority: -5 });
    const warehouses = [tenant.defaultWarehouseId, w1.id, w2.id];
    const a = await newItem(t, tenant, { qty: 8 });
    const b = await newItem(t, tenant, { qty: 8 });
    for (const item of [a, b]) for (const w of [w1.id, w2.id]) await addStock(t, tenant, item.id, 8, w);
    // Holds to be released and extended while the new ones race.
    const earlier: string[] = [];
    for (let i = 0; i < 8; i++) {
      earlier.push(
        (
          await reserveOk(t, tenant, {
            lines: [
              { item_id: a.id, quantity: 1 },
              { item_id: b.id, quantity: 1 },
            ],
          })
        ).id,
      );
    }

    const rand = prng(7);
    const line = (itemId: string) => ({
      item_id: itemId,
      quantity: 1 + Math.floor(rand() * 3),
      ...(rand() < 0.5 ? { warehouse_id: warehouses[Math.floor(rand() * 3)] } : {}),
    });
    const bodies = Array.from({ length: 40 }, (_, i) => ({
      lines: i % 2 ? [line(a.id), line(b.id)] : [line(b.id), line(a.id)],
    }));
    const [holds, releases, extends_] = await Promise.all([
      Promise.all(bodies.map((body) => reserve(t, tenant, body))),
      Promise.all(earlier.slice(0, 5).map((id) => release(t, tenant, id))),
      Promise.all(earlier.slice(5).map((id) => extend(t, tenant, id, { ttl_seconds: 900 }))),
    ]);
    expectOnly(holds, ['201', '400 insufficient_stock']);
    expect(tally(holds)['201']).toBeGreaterThan(0);
    expect(tally(releases)).toEqual({ '200': 5 });
    expect(tally(extends_)).toEqual({ '200': 3 });

    // reserved on every row is exactly what the responses say was held.
    const expected = new Map<string, number>();
    const add = (l: HoldLine) =>
      expected.set(
        `${l.item_id}/${l.warehouse_id}`,
        (expected.get(`${l.item_id}/${l.warehouse_id}`) ?? 0) + l.quantity,
      );
    holds.filter((r) => r.status === 201).forEach((r) => r.body.data.lines.forEach(add));
    extends_.forEach((r) => r.body.data.lines.forEach(add));
    for (const item of [a, b]) {
      for (const w of warehouses) {
        expect({ w, reserved: (await stockRow(t, item.id, w))!.reserved }).toEqual({
          w,
          reserved: expected.get(`${item.id}/${w}`) ?? 0,
        });
      }
    }
    await assertInvariant(t, tenant.id);
  });

  it('adjustments racing with holds never take reserved units: on_hand ≥ reserved throughout, final figures add up', async () => {
    const item = await newItem(t, tenant, { qty: 10 });
    const held = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 6 }] });

    let done = false;
    const seen: { on_hand: number; reserved: number }[] = [];
    const poller = (async () => {
      while (!done) seen.push((await stockRow(t, item.id, tenant.defaultWarehouseId))!);
    })();
    const work: Promise<Response>[] = [];
    for (let i = 0; i < 10; i++) {
      work.push(
        t.http
          .patch(`/api/items/${item.id}/qty`)
          .set(tenant.auth)
          .send({ delta: -1 })
          .then((r) => r),
      );
      work.push(reserve(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] }).then((r) => r));
    }
    const responses = await Promise.all(work);
    done = true;
    await poller;

    const adjustments = responses.filter((_, i) => i % 2 === 0);
    const holds = responses.filter((_, i) => i % 2 === 1);
    expectOnly(adjustments, ['200', '400 insufficient_stock']);
    expectOnly(holds, ['201', '400 insufficient_stock']);
    const d = adjustments.filter((r) => r.status === 200).length;
    const r = holds.filter((x) => x.status === 201).length;
    expect(d + r).toBe(4);
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 10 - d, reserved: 6 + r });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.filter((s) => s.on_hand < s.reserved)).toEqual([]);
    expect((await t.http.get(`/api/reservations/${held.id}`).set(tenant.auth).expect(200)).body.data).toMatchObject({
      status: 'active',
      lines: held.lines,
    });
    expect(await auditOf(t, tenant.id, 'stock.adjusted')).toHaveLength(d);
    await assertInvariant(t, tenant.id);
  });

  it('ten parallel releases of one hold: all 200, units returned once, one reservation.released row', async () => {
    const item = await newItem(t, tenant, { qty: 5 });
    const other = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 2 }] });
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 3 }] });
    const responses = await Promise.all(Array.from({ length: 10 }, () => release(t, tenant, r.id)));
    expect(tally(responses)).toEqual({ '200': 10 });
    expect(responses.every((x) => x.body.data.status === 'released')).toBe(true);
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 5, reserved: 2 });
    expect(await auditOf(t, tenant.id, 'reservation.released')).toHaveLength(1);
    expect((await t.http.get(`/api/reservations/${other.id}`).set(tenant.auth)).body.data.status).toBe('active');
    await assertInvariant(t, tenant.id);
  });

  it('a release racing with holds on the units it frees: no deadlock, never more than the stock', async () => {
    const item = await newItem(t, tenant, { qty: 3 });
    const r = await reserveOk(t, tenant, { lines: [{ item_id: item.id, quantity: 3 }] });
    const [rel, ...holds] = await Promise.all([
      release(t, tenant, r.id),
      ...Array.from({ length: 10 }, () => reserve(t, tenant, { lines: [{ item_id: item.id, quantity: 1 }] })),
    ]);
    expect(rel!.status).toBe(200);
    expectOnly(holds, ['201', '400 insufficient_stock']);
    const accepted = holds.filter((x) => x.status === 201).length;
    expect(accepted).toBeLessThanOrEqual(3);
    expect(await stockRow(t, item.id, tenant.defaultWarehouseId)).toEqual({ on_hand: 3, reserved: accepted });
    await assertInvariant(t, tenant.id);
  });
});
