import type { EntityManager } from 'typeorm';
import { sql, type SqlPart } from '../database/sql.js';
import type { UnitOfWork } from '../database/unit-of-work.js';
import type { HoldLine } from './allocation.js';
import { EFFECTIVE_STATUS_SQL, type ReservationStatus } from './reservation-status.js';

export interface ReservationView {
  id: string;
  status: ReservationStatus;
  reference: string | null;
  expires_at: string;
  created_at: string;
  updated_at: string;
  lines: HoldLine[];
}

export interface ReservationRow {
  id: string;
  status: ReservationStatus;
  reference: string | null;
  expires_at: Date;
  created_at: Date;
  updated_at: Date;
  lines: HoldLine[];
  cursor_ts?: string;
}

export interface HeldLine extends HoldLine {
  reservation_id: string;
}

/** Reservations with their lines and effective status; callers append WHERE on `r`. */
export const reservationSelect = (extraColumns?: string) => `
  SELECT r.id, ${EFFECTIVE_STATUS_SQL('r')} AS status, r.reference, r.expires_at, r.created_at, r.updated_at,
         ${extraColumns ? `${extraColumns},` : ''}
         (SELECT json_agg(json_build_object('item_id', l.item_id, 'warehouse_id', l.warehouse_id, 'quantity', l.quantity)
                          ORDER BY l.item_id, l.warehouse_id)
          FROM reservation_line l WHERE l.reservation_id = r.id) AS lines
  FROM reservation r`;

export function toReservationView({ cursor_ts: _c, ...row }: ReservationRow): ReservationView {
  return {
    ...row,
    lines: row.lines ?? [],
    expires_at: row.expires_at.toISOString(),
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

export async function findReservation(
  manager: EntityManager,
  tenantId: string,
  id: string,
): Promise<ReservationView | undefined> {
  const [row] = await sql<ReservationRow>(manager, `${reservationSelect()} WHERE r.tenant_id = $1 AND r.id = $2`, [
    tenantId,
    id,
  ]);
  return row ? toReservationView(row) : undefined;
}

export interface LockedReservation {
  id: string;
  tenant_id: string;
  status: ReservationStatus;
  /** expires_at has passed (the effective status of an active one is then `expired`). */
  lapsed: boolean;
  expires_at: Date;
}

/** Locks one reservation row (FOR UPDATE) of a tenant. */
export async function lockReservation(
  manager: EntityManager,
  tenantId: string,
  id: string,
): Promise<LockedReservation | undefined> {
  const [row] = await sql<LockedReservation>(
    manager,
    `SELECT id, tenant_id, status, expires_at <= now() AS lapsed, expires_at
     FROM reservation WHERE tenant_id = $1 AND id = $2 FOR UPDATE`,
    [tenantId, id],
  );
  return row;
}

/** Locks reservation rows (FOR UPDATE) of a tenant in one statement, sorted by id. */
export function lockReservations(
  manager: EntityManager,
  tenantId: string,
  ids: string[],
): Promise<LockedReservation[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return sql<LockedReservation>(
    manager,
    `SELECT id, tenant_id, status, expires_at <= now() AS lapsed, expires_at
     FROM reservation WHERE tenant_id = $1 AND id = ANY($2::uuid[]) ORDER BY id FOR UPDATE`,
    [tenantId, ids],
  );
}

export async function linesOf(manager: EntityManager, reservationIds: string[]): Promise<HeldLine[]> {
  if (reservationIds.length === 0) return [];
  return sql<HeldLine>(
    manager,
    `SELECT reservation_id, item_id, warehouse_id, quantity FROM reservation_line
     WHERE reservation_id = ANY($1::uuid[])`,
    [reservationIds],
  );
}

/** Sets the status of reservations: a part of a unit of work. */
export function setStatusPart(ids: string[], status: ReservationStatus): SqlPart {
  return {
    text: 'UPDATE reservation SET status = $2, updated_at = now() WHERE id = ANY($1::uuid[])',
    params: [ids, status],
  };
}

/** Inserts reservations and their lines. The timestamps are the transaction's `now()`, as the views say. */
export function addNewReservations(uow: UnitOfWork, tenantId: string, views: ReservationView[]): void {
  const lines = views.flatMap((v) => v.lines.map((l) => ({ ...l, reservation_id: v.id })));
  uow.add('new_reservations', {
    text: `INSERT INTO reservation (id, tenant_id, reference, expires_at, created_at, updated_at)
           SELECT r.id, $1, r.reference, r.expires_at, now(), now()
           FROM unnest($2::uuid[], $3::text[], $4::timestamptz[]) AS r(id, reference, expires_at)`,
    params: [tenantId, views.map((v) => v.id), views.map((v) => v.reference), views.map((v) => v.expires_at)],
  });
  uow.add('new_reservation_lines', {
    text: `INSERT INTO reservation_line (reservation_id, tenant_id, item_id, warehouse_id, quantity)
           SELECT l.reservation_id, $1, l.item_id, l.warehouse_id, l.quantity
           FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::int[]) AS l(reservation_id, item_id, warehouse_id, quantity)`,
    params: [
      tenantId,
      lines.map((l) => l.reservation_id),
      lines.map((l) => l.item_id),
      lines.map((l) => l.warehouse_id),
      lines.map((l) => l.quantity),
    ],
  });
}

/** An active reservation whose time has passed, locked. */
export interface LapsedReservation {
  id: string;
  tenant_id: string;
  expires_at: Date;
}

/**
 * Claims lapsed active reservations for the sweeper, oldest first, skipping
 * those another transaction holds and those in `except` (left earlier in the sweep).
 */
export function claimLapsed(
  tx: EntityManager,
  { limit, tenantIds, except }: { limit: number; tenantIds?: string[]; except: string[] },
): Promise<LapsedReservation[]> {
  return sql<LapsedReservation>(
    tx,
    `SELECT id, tenant_id, expires_at FROM reservation
     WHERE status = 'active' AND expires_at <= now() AND ($2::uuid[] IS NULL OR tenant_id = ANY($2::uuid[]))
       AND id <> ALL($3::uuid[])
     ORDER BY expires_at LIMIT $1
     FOR UPDATE SKIP LOCKED`,
    [limit, tenantIds ?? null, except],
  );
}

/** Claims one reservation if it is still active and lapsed, and nobody else holds it. */
export async function claimLapsedOne(tx: EntityManager, id: string): Promise<LapsedReservation | undefined> {
  const [row] = await sql<LapsedReservation>(
    tx,
    `SELECT id, tenant_id, expires_at FROM reservation
     WHERE id = $1 AND status = 'active' AND expires_at <= now()
     FOR UPDATE SKIP LOCKED`,
    [id],
  );
  return row;
}

/** The lapsed active reservations of a tenant holding units on these stock rows, locked, skipping those held elsewhere. */
export function claimLapsedOn(
  tx: EntityManager,
  tenantId: string,
  rows: { item_id: string; warehouse_id: string }[],
): Promise<LapsedReservation[]> {
  return sql<LapsedReservation>(
    tx,
    `SELECT r.id, r.tenant_id, r.expires_at FROM reservation r
     WHERE r.tenant_id = $1 AND r.status = 'active' AND r.expires_at <= now()
       AND EXISTS (SELECT 1 FROM reservation_line l
                   JOIN unnest($2::uuid[], $3::uuid[]) AS k(item_id, warehouse_id)
                     ON l.item_id = k.item_id AND l.warehouse_id = k.warehouse_id
                   WHERE l.reservation_id = r.id)
     ORDER BY r.expires_at
     FOR UPDATE OF r SKIP LOCKED`,
    [tenantId, rows.map((s) => s.item_id), rows.map((s) => s.warehouse_id)],
  );
}

/**
 * SQL for the units of a stock row `s` held by active holds whose time has
 * passed: they are expired for every read, swept or not (item reads take them
 * off `reserved`). Found from the lapsed holds (few: the sweeper runs every 30 s)
 * by reservation_active_expiry_idx, each line by its key; never from the row's
 * lines, which are its whole history. The CASE condition repeats the two before
 * it for the planner: it has statistics on that expression
 * (reservation_lapse_stats), so it expects a few lapsed holds, not every active
 * one times every expired one. Rows with nothing reserved skip it.
 */
export const LAPSED_UNITS_SQL = `CASE WHEN s.reserved = 0 THEN 0 ELSE (
    SELECT COALESCE(sum(l.quantity), 0)::int
    FROM reservation r
    JOIN reservation_line l ON l.reservation_id = r.id AND l.item_id = s.item_id AND l.warehouse_id = s.warehouse_id
    WHERE r.tenant_id = s.tenant_id AND r.status = 'active' AND r.expires_at <= now()
      AND (CASE WHEN r.status = 'active' THEN r.expires_at END) <= now()) END`;

/**
 * Seconds since the oldest active hold past its expiry was due (0: none): one
 * index-only probe of reservation_active_expiry_idx.
 */
export async function oldestLapsedAgeSeconds(db: { query: EntityManager['query'] }): Promise<number> {
  const [row] = await db.query<{ age: number }[]>(
    `SELECT COALESCE(EXTRACT(EPOCH FROM now() - min(expires_at)), 0)::float8 AS age
     FROM reservation WHERE status = 'active' AND expires_at <= now()`,
  );
  return row?.age ?? 0;
}
