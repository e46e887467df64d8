import { expect } from '@jest/globals';
import type { Response, Test } from 'supertest';
import { UnitOfWork } from '../../src/database/unit-of-work.js';
import { lockStockRows, moveStock, uniqueKeys } from '../../src/inventory/stock.repository.js';
import { checkLedger } from '../../src/ledger/ledger-check.js';
import { movementsOf } from '../../src/ledger/movement.js';
import { ReservationExpiryService } from '../../src/reservations/reservation-expiry.service.js';
import { linesOf } from '../../src/reservations/reservation.repository.js';
import { tenantsOfThisFile, type TestTenant } from './fixtures.js';
import { TEST_NOTE } from './stock.js';
import type { TestApp } from './test-app.js';

// Reservations (holds): the HTTP calls, making time pass for them (lapse, sweep),
// their raw state in the database and the invariant stock keeps with them.

export interface HoldLine {
  item_id: string;
  warehouse_id: string;
  quantity: number;
}

export interface ReservationData {
  id: string;
  status: 'active' | 'released' | 'expired' | 'committed';
  reference: string | null;
  expires_at: string;
  created_at: string;
  updated_at: string;
  lines: HoldLine[];
}

// ---------------------------------------------------------------------------
// HTTP

/** POST /api/reservations, whatever it answers. */
export function reserve(t: TestApp, tenant: TestTenant, body: unknown): Test {
  return t.http
    .post('/api/reservations')
    .set(tenant.auth)
    .send(body as object);
}

/** POST /api/reservations that must answer 201; returns the reservation. */
export async function reserveOk(t: TestApp, tenant: TestTenant, body: unknown): Promise<ReservationData> {
  const res = await reserve(t, tenant, body);
  if (res.status !== 201) throw new Error(`reserve: expected 201, got ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

/** POST /api/reservations/:id/release, whatever it answers. */
export function release(t: TestApp, tenant: TestTenant, id: string): Test {
  return t.http.post(`/api/reservations/${id}/release`).set(tenant.auth);
}

/** POST /api/reservations/:id/extend, whatever it answers. */
export function extend(t: TestApp, tenant: TestTenant, id: string, body: unknown): Test {
  return t.http
    .post(`/api/reservations/${id}/extend`)
    .set(tenant.auth)
    .send(body as object);
}

/** GET /api/reservations/:id, whatever it answers. */
export function getReservation(t: TestApp, tenant: TestTenant, id: string): Test {
  return t.http.get(`/api/reservations/${id}`).set(tenant.auth);
}

// ---------------------------------------------------------------------------
// Time

// Moves expiry into the past; created_at an hour before it, as the CHECK wants expires_at > created_at.
const LAPSE_SQL = `UPDATE reservation
  SET expires_at = now() - make_interval(secs => $2), created_at = now() - make_interval(secs => $2) - interval '1 hour'
  WHERE id = ANY($1::uuid[])`;

/** Makes reservations lapse without waiting: they expired `secondsAgo` seconds ago (and are not swept). */
export async function lapse(t: TestApp, ids: string | string[], secondsAgo = 1): Promise<void> {
  await t.db.query(LAPSE_SQL, [Array.isArray(ids) ? ids : [ids], secondsAgo]);
}

/**
 * Sends `send()` while the reservation is lapsed but not yet swept, whatever the
 * sweepers of other test workers (they share the database) are doing: the lapse
 * is made in a transaction that keeps the row locked (sweepers SKIP LOCKED rows)
 * until the request is queued behind that lock.
 */
export async function sendWhileLapsed(
  t: TestApp,
  reservationId: string,
  send: () => PromiseLike<Response>,
): Promise<Response> {
  const runner = t.db.createQueryRunner();
  await runner.connect();
  try {
    await runner.startTransaction();
    const [{ pid }] = await runner.query('SELECT pg_backend_pid() AS pid');
    await runner.query(LAPSE_SQL, [[reservationId], 1]);
    const response = Promise.resolve(send());
    for (let i = 0; ; i++) {
      const [{ n }] = await t.db.query(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
        [pid],
      );
      if (n > 0) break;
      if (i > 300) throw new Error('the request never waited for the reservation lock');
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await runner.commitTransaction();
    return await response;
  } finally {
    if (runner.isTransactionActive) await runner.rollbackTransaction();
    await runner.release();
  }
}

/** Runs the expiry sweep now, over this file's tenants only (`batchSize`: the service's default when omitted). */
export function sweep(t: TestApp, batchSize?: number): Promise<number> {
  return t.app.get(ReservationExpiryService).sweep(batchSize, { tenantIds: [...tenantsOfThisFile] });
}

// ---------------------------------------------------------------------------
// Database

/** The raw status column of a reservation: a lapsed, unswept hold still says 'active' (the API says expired). */
export async function reservationStatus(t: TestApp, id: string): Promise<string> {
  const [row] = await t.db.query('SELECT status FROM reservation WHERE id = $1', [id]);
  return row?.status;
}

/** What an order would do on commit, with SQL: status committed, units leave on_hand and reserved together. */
export async function commitBySql(t: TestApp, id: string): Promise<void> {
  await t.db.transaction(async (m) => {
    const lines = await linesOf(m, [id]);
    await lockStockRows(m, uniqueKeys(lines));
    const uow = new UnitOfWork(m);
    const note = { ...TEST_NOTE, type: 'committed' as const, reference: `reservation:${id}` };
    moveStock(
      uow,
      'committed',
      movementsOf(lines, { onHand: -1, reserved: -1 }, () => note),
    );
    await uow.flush();
    await m.query(`UPDATE reservation SET status = 'committed', updated_at = now() WHERE id = $1`, [id]);
  });
}

/**
 * The invariant of reservations, over every stock row of the tenant: reserved is
 * exactly the sum of the lines of reservations whose (raw) status is active, and
 * 0 <= reserved <= on_hand; and the ledger explains every row (checkLedger).
 */
export async function assertInvariant(t: TestApp, tenantId: string): Promise<void> {
  const rows: { item_id: string; warehouse_id: string; on_hand: number; reserved: number; held: number }[] =
    await t.db.query(
      `SELECT s.item_id, s.warehouse_id, s.on_hand, s.reserved,
              COALESCE((SELECT sum(l.quantity) FROM reservation_line l JOIN reservation r ON r.id = l.reservation_id
                        WHERE l.item_id = s.item_id AND l.warehouse_id = s.warehouse_id AND r.status = 'active'), 0)::int AS held
       FROM stock s WHERE s.tenant_id = $1`,
      [tenantId],
    );
  expect(rows.length).toBeGreaterThan(0);
  const broken = rows.filter((r) => r.reserved !== r.held || r.reserved < 0 || r.on_hand < r.reserved);
  expect(broken).toEqual([]);
  expect((await checkLedger(t.db.manager, tenantId)).problems).toEqual([]);
}

/** Lines in a stable order (item, then warehouse), for comparing. */
export function sortLines<T extends { item_id: string; warehouse_id?: string }>(lines: T[]): T[] {
  const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return [...lines].sort((a, b) => cmp(a.item_id, b.item_id) || cmp(a.warehouse_id ?? '', b.warehouse_id ?? ''));
}
