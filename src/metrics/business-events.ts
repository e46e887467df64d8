import { Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { type AuditedEntry, AuditService } from '../audit/audit.service.js';
import { AfterCommitSubscriber, afterCommit } from './after-commit.js';
import { MetricsService } from './metrics.service.js';

const statusOf = (value: unknown): string | undefined =>
  typeof value === 'object' && value !== null && typeof (value as { status?: unknown }).status === 'string'
    ? (value as { status: string }).status
    : undefined;

/**
 * Every business change is written to the audit log in its own transaction (see
 * AuditService), so the audit rows are where the events are counted: once the
 * transaction commits, never when it rolls back, and without metric code in the
 * services. Changes the system makes on its own (expiry, cancelling the orders
 * of expired holds) are also logged at info, one line each.
 */
@Injectable()
export class BusinessEvents implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('BusinessEvents');
  private readonly subscriber = new AfterCommitSubscriber();

  constructor(
    private readonly metrics: MetricsService,
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
  ) {}

  onModuleInit(): void {
    this.dataSource.subscribers.push(this.subscriber);
    this.audit.onAudited((uow, entries) => this.audited(uow.tx, entries));
  }

  onModuleDestroy(): void {
    const i = this.dataSource.subscribers.indexOf(this.subscriber);
    if (i >= 0) this.dataSource.subscribers.splice(i, 1);
  }

  /** The audit rows a transaction is about to write (AuditService tells its listeners). */
  audited(manager: EntityManager, entries: AuditedEntry[]): void {
    if (entries.some((e) => COUNTED.has(e.action))) afterCommit(manager, () => entries.forEach((e) => this.report(e)));
  }

  private report(e: AuditedEntry): void {
    const tenantId = e.tenantId;
    switch (e.action) {
      case 'reservation.created':
        return this.metrics.reservationsCreated();
      case 'reservation.released':
        return this.metrics.reservationsReleased();
      case 'reservation.committed':
        return this.metrics.reservationsCommitted();
      case 'reservation.expired':
        this.metrics.reservationsExpired();
        if (e.actor === 'system') {
          this.logger.log({
            msg: 'reservation expired',
            tenant_id: tenantId,
            reservation_id: e.objectId,
            request_id: e.requestId,
          });
        }
        return;
      case 'order.created':
        return this.metrics.orderTransition(null, 'pending');
      case 'order.status_changed': {
        const from = statusOf(e.oldValue) ?? 'unknown';
        const to = statusOf(e.newValue) ?? 'unknown';
        this.metrics.orderTransition(from, to);
        if (e.actor === 'system') {
          const reason = (e.newValue as { reason?: string } | undefined)?.reason;
          this.logger.log({
            msg: `order ${to === 'cancelled' ? 'cancelled' : `moved to ${to}`}`,
            tenant_id: tenantId,
            order_id: e.objectId,
            from,
            to,
            reason,
            request_id: e.requestId,
          });
        }
        return;
      }
      case 'webhook.disabled':
        return this.metrics.webhookEndpointDisabled();
    }
  }
}

const COUNTED = new Set([
  'reservation.created',
  'reservation.released',
  'reservation.committed',
  'reservation.expired',
  'order.created',
  'order.status_changed',
  'webhook.disabled',
]);
