import type { EntityManager } from 'typeorm';
import { sql, type SqlPart } from '../database/sql.js';
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
  return { text: 'UPDATE reservation SET status = $2, updated_at = now() WHERE id = ANY($1::uuid[])', params: [ids, status] };
}
