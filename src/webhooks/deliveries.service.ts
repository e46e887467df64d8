import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { CursorCodec } from '../common/cursor.js';
import { NotFoundError, ValidationFailedError } from '../common/errors.js';
import { cursorTimestamp, SqlWhere, toPage } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import type { RequestContext } from '../common/request-context.js';
import { sql } from '../database/sql.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import type { FeedPosition } from '../events/event.repository.js';
import { EventsService } from '../events/events.service.js';
import type { ListDeliveriesQuery } from './dto/list-webhooks.query.js';
import type { ReplayDto } from './dto/replay.dto.js';
import {
  DELIVERY_COLUMNS,
  type DeliveryRow,
  type DeliveryView,
  replayPart,
  retryPart,
  toDeliveryView,
} from './delivery-view.js';
import { findWebhook, lockWebhook } from './webhook.repository.js';

const CURSOR_KIND = 'webhook-deliveries';
/** The most deliveries one replay makes; `next_after` continues. */
export const MAX_REPLAY = 10_000;

/** An endpoint's deliveries: listing them with their attempts, and sending again (one, or a stretch of the feed). */
@Injectable()
export class DeliveriesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly cursors: CursorCodec,
    private readonly events: EventsService,
  ) {}

  /** Newest first. */
  async list(ctx: RequestContext, endpointId: string, query: ListDeliveriesQuery): Promise<Page<DeliveryView>> {
    if (!(await findWebhook(this.dataSource.manager, ctx.tenantId, endpointId))) throw new NotFoundError('Webhook');
    const limit = query.limit ?? 20;
    const where = new SqlWhere().add('d.tenant_id = ?', ctx.tenantId).add('d.endpoint_id = ?', endpointId);
    if (query.status !== undefined) where.add('d.status = ?', query.status);
    if (query.cursor !== undefined) {
      const [ts, id] = this.cursors.decode(CURSOR_KIND, query.cursor, 2);
      where.add('(d.created_at, d.id) < (?::timestamptz, ?::uuid)', ts, id);
    }
    const rows = await this.dataSource.query<(DeliveryRow & { cursor_ts: string })[]>(
      `SELECT ${DELIVERY_COLUMNS}, ${cursorTimestamp('d.created_at')} AS cursor_ts
       FROM webhook_delivery d JOIN event e ON e.id = d.event_id
       WHERE ${where} ORDER BY d.created_at DESC, d.id DESC LIMIT ${where.param(limit + 1)}`,
      where.params,
    );
    return toPage(rows, limit, (last) => this.cursors.encode(CURSOR_KIND, [last.cursor_ts, last.id]), toDeliveryView);
  }

  /** Sends one delivery again, now (whatever its status); its endpoint's stock-row order still holds. */
  async retry(ctx: RequestContext, endpointId: string, deliveryId: string): Promise<DeliveryView> {
    return this.tx.run(async (manager) => {
      if (!(await lockWebhook(manager, ctx.tenantId, endpointId))) throw new NotFoundError('Webhook');
      const uow = new UnitOfWork(manager);
      uow.add('retried_delivery', retryPart(ctx.tenantId, endpointId, deliveryId));
      this.audit.add(
        uow,
        AuditService.of(ctx, {
          action: 'webhook.delivery_retried',
          objectType: 'webhook',
          objectId: endpointId,
          newValue: { delivery_id: deliveryId },
        }),
      );
      const [retried] = await uow.flush<{ id: string }>('retried_delivery');
      if (!retried) throw new NotFoundError('Delivery'); // the audit row rolls back with the transaction
      const [row] = await sql<DeliveryRow>(
        manager,
        `SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery d JOIN event e ON e.id = d.event_id WHERE d.id = $1`,
        [deliveryId],
      );
      return toDeliveryView(row!);
    });
  }

  /**
   * Sends again the events of the feed after a cursor (or since a time) that the
   * endpoint has already been given: a new delivery each, in feed order, for the
   * types it wants, at most MAX_REPLAY (then `next_after` continues). Events it
   * has not been given yet come through the fan-out as usual.
   */
  async replay(
    ctx: RequestContext,
    endpointId: string,
    dto: ReplayDto,
  ): Promise<{ deliveries: number; next_after: string | null }> {
    if ((dto.after === undefined) === (dto.from === undefined)) {
      throw new ValidationFailedError([{ field: 'after', message: 'give exactly one of after and from' }]);
    }
    const after: FeedPosition | undefined = dto.after === undefined ? undefined : this.events.position(dto.after);
    return this.tx.run(async (manager) => {
      const endpoint = await lockWebhook(manager, ctx.tenantId, endpointId);
      if (!endpoint) throw new NotFoundError('Webhook');
      // One statement of its own: its CTEs insert, and a data-modifying WITH cannot be a unit of work's part.
      const { text, params } = replayPart(endpoint, { after, from: dto.from }, MAX_REPLAY);
      const [result] = await sql<{ n: number; last_txid: string | null; last_id: string | null }>(
        manager,
        text,
        params,
      );
      // After the read (see assertKept): events after the cursor purged → 410, and nothing is kept of this call.
      if (after) await this.events.assertKept(ctx.tenantId, after, manager);
      const n = result?.n ?? 0;
      const last = n === MAX_REPLAY && result?.last_txid ? { txid: result.last_txid, id: result.last_id! } : undefined;
      await this.audit.record(manager, ctx, {
        action: 'webhook.replayed',
        objectType: 'webhook',
        objectId: endpointId,
        newValue: { after: dto.after ?? null, from: dto.from ?? null, deliveries: n },
      });
      return { deliveries: n, next_after: last ? this.events.cursorAfter(last) : null };
    });
  }
}
