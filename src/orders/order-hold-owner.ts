import { Injectable, OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { sql } from '../database/sql.js';
import type { UnitOfWork } from '../database/unit-of-work.js';
import { type HoldOwner, HoldOwners, type OwnersExpiry } from '../reservations/hold-owners.js';
import { addStatusChange } from './order.repository.js';

interface PendingOrder {
  id: string;
  tenant_id: string;
  reservation_id: string;
}

/**
 * Orders own the reservations they were made with: when a pending order's hold
 * expires, the order is cancelled in the same transaction (actor `system`,
 * reason `reservation_expired`). Registered with the reservations module, which
 * never reads the orders table itself.
 */
@Injectable()
export class OrderHoldOwner implements HoldOwner, OnModuleInit {
  constructor(
    private readonly owners: HoldOwners,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.owners.register(this);
  }

  /**
   * The pending orders of reservations about to expire, locked without waiting
   * (the expiring transaction already holds reservation locks, and the lock order
   * is order -> reservation). Reservations whose order someone else holds are
   * blocked: that transaction will handle their expiry.
   */
  async lockForExpiry(tx: EntityManager, reservationIds: string[]): Promise<OwnersExpiry> {
    const all = await sql<{ reservation_id: string }>(
      tx,
      `SELECT reservation_id FROM orders WHERE reservation_id = ANY($1::uuid[]) AND status = 'pending'`,
      [reservationIds],
    );
    const locked =
      all.length === 0
        ? []
        : await sql<PendingOrder>(
            tx,
            `SELECT id, tenant_id, reservation_id FROM orders
       WHERE reservation_id = ANY($1::uuid[]) AND status = 'pending'
       FOR UPDATE SKIP LOCKED`,
            [reservationIds],
          );
    const got = new Set(locked.map((o) => o.reservation_id));
    return {
      blocked: new Set(all.map((o) => o.reservation_id).filter((id) => !got.has(id))),
      expire: (uow, expired, requestId) =>
        this.cancel(
          uow,
          locked.filter((o) => expired.has(o.reservation_id)),
          requestId,
        ),
    };
  }

  async ownerOf(tx: EntityManager, reservationId: string): Promise<string | undefined> {
    const [order] = await sql<{ id: string }>(tx, 'SELECT id FROM orders WHERE reservation_id = $1', [reservationId]);
    return order?.id;
  }

  private cancel(uow: UnitOfWork, orders: PendingOrder[], requestId: string): void {
    if (orders.length === 0) return;
    addStatusChange(uow, orders, 'pending', 'cancelled', 'system', 'reservation_expired');
    this.audit.add(
      uow,
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
}
