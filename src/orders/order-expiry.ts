import type { EntityManager } from 'typeorm';
import type { AuditService } from '../audit/audit.service.js';
import { sql } from '../database/sql.js';
import { recordStatus } from './order-store.js';

export interface PendingOrder {
  id: string;
  tenant_id: string;
  reservation_id: string;
}

/**
 * The pending orders of reservations about to expire, locked without waiting
 * (the expiring transaction already holds reservation locks, and the lock order
 * is order -> reservation). Reservations whose order someone else holds are
 * reported as blocked: leave them, that transaction will handle their expiry.
 */
export async function lockPendingOrdersOf(
  manager: EntityManager,
  reservationIds: string[],
): Promise<{ orders: PendingOrder[]; blocked: Set<string> }> {
  if (reservationIds.length === 0) return { orders: [], blocked: new Set() };
  const all = await sql<{ reservation_id: string }>(
    manager,
    `SELECT reservation_id FROM orders WHERE reservation_id = ANY($1::uuid[]) AND status = 'pending'`,
    [reservationIds],
  );
  const locked = await sql<PendingOrder>(
    manager,
    `SELECT id, tenant_id, reservation_id FROM orders
     WHERE reservation_id = ANY($1::uuid[]) AND status = 'pending'
     FOR UPDATE SKIP LOCKED`,
    [reservationIds],
  );
  const got = new Set(locked.map((o) => o.reservation_id));
  return { orders: locked, blocked: new Set(all.map((o) => o.reservation_id).filter((id) => !got.has(id))) };
}

/** Cancels pending orders whose reservation expired (actor `system`, reason `reservation_expired`). */
export async function cancelExpiredOrders(
  manager: EntityManager,
  audit: AuditService,
  orders: PendingOrder[],
  requestId: string,
): Promise<void> {
  if (orders.length === 0) return;
  await recordStatus(manager, orders, 'pending', 'cancelled', 'system', 'reservation_expired');
  await audit.recordEach(
    manager,
    orders.map((o) => ({
      tenantId: o.tenant_id,
      actor: 'system',
      requestId,
      action: 'order.status_changed',
      objectType: 'order',
      objectId: o.id,
      oldValue: { status: 'pending' },
      newValue: { status: 'cancelled', reason: 'reservation_expired' },
    })),
  );
}
