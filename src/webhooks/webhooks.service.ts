import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { CursorCodec } from '../common/cursor.js';
import { NotFoundError } from '../common/errors.js';
import { SqlWhere, toPage } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import { changesOf, requireSome } from '../common/patch.js';
import { type RequestContext, systemContext } from '../common/request-context.js';
import { cursorTimestamp } from '../common/keyset.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { insertEventsPart } from '../events/event.repository.js';
import type { CreateWebhookDto } from './dto/create-webhook.dto.js';
import type { ListWebhooksQuery } from './dto/list-webhooks.query.js';
import { UPDATABLE_WEBHOOK_FIELDS, type UpdateWebhookDto } from './dto/update-webhook.dto.js';
import { newSigningSecret, SecretBox } from './secret-box.js';
import {
  deleteWebhookPart,
  disableWebhookPart,
  findWebhook,
  insertWebhookPart,
  lockWebhook,
  rotateSecretPart,
  toWebhookView,
  updateWebhookPart,
  WEBHOOK_COLUMNS,
  type WebhookRow,
  type WebhookView,
} from './webhook.repository.js';
import { WebhookUrlPolicy } from './webhook-url-policy.js';

const CURSOR_KIND = 'webhooks';
/** After a rotation, how long deliveries are signed with the old secret too. */
export const ROTATION_OVERLAP_HOURS = 24;

export type WebhookWithSecret = WebhookView & { secret: string; previous_secret_expires_at?: string };

/** Webhook endpoints: their CRUD and secrets (audited, tenant-scoped), and disabling them for the relay. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly cursors: CursorCodec,
    private readonly secrets: SecretBox,
    private readonly urls: WebhookUrlPolicy,
  ) {}

  /** A new endpoint, with its signing secret: the only time it is shown (but for rotations). */
  async create(ctx: RequestContext, dto: CreateWebhookDto): Promise<WebhookWithSecret> {
    await this.urls.check(dto.url);
    const id = randomUUID();
    const secret = newSigningSecret();
    return this.tx.run(async (manager) => {
      const uow = new UnitOfWork(manager);
      uow.add(
        'new_webhook',
        insertWebhookPart({
          id,
          tenantId: ctx.tenantId,
          url: dto.url,
          description: dto.description ?? null,
          eventTypes: dto.event_types ?? null,
          batchSize: dto.batch_size ?? 1,
          sealedSecret: this.secrets.seal(secret, id),
        }),
      );
      const view = toWebhookView((await uow.flush<WebhookRow>('new_webhook'))[0]!);
      await this.audit.record(manager, ctx, {
        action: 'webhook.created',
        objectType: 'webhook',
        objectId: id,
        newValue: view,
      });
      return { ...view, secret };
    });
  }

  async get(ctx: RequestContext, id: string): Promise<WebhookView> {
    return toWebhookView(await this.found(findWebhook(this.dataSource.manager, ctx.tenantId, id)));
  }

  /** Oldest first. */
  async list(ctx: RequestContext, query: ListWebhooksQuery): Promise<Page<WebhookView>> {
    const limit = query.limit ?? 20;
    const where = new SqlWhere().add('tenant_id = ?', ctx.tenantId);
    if (query.cursor !== undefined) {
      const [ts, id] = this.cursors.decode(CURSOR_KIND, query.cursor, 2);
      where.add('(created_at, id) > (?::timestamptz, ?::uuid)', ts, id);
    }
    const rows = await this.dataSource.query<(WebhookRow & { cursor_ts: string })[]>(
      `SELECT ${WEBHOOK_COLUMNS}, ${cursorTimestamp('created_at')} AS cursor_ts FROM webhook_endpoint
       WHERE ${where} ORDER BY created_at, id LIMIT ${where.param(limit + 1)}`,
      where.params,
    );
    return toPage(rows, limit, (last) => this.cursors.encode(CURSOR_KIND, [last.cursor_ts, last.id]), toWebhookView);
  }

  /** Changes and audits the fields that change; a request that changes nothing writes nothing. */
  async update(ctx: RequestContext, id: string, dto: UpdateWebhookDto): Promise<WebhookView> {
    requireSome(dto, UPDATABLE_WEBHOOK_FIELDS);
    if (dto.url !== undefined) await this.urls.check(dto.url);
    return this.tx.run(async (manager) => {
      const before = toWebhookView(await this.found(lockWebhook(manager, ctx.tenantId, id)));
      const patch = {
        url: dto.url,
        description: dto.description,
        event_types: dto.event_types,
        batch_size: dto.batch_size,
        active: dto.active,
      };
      const change = changesOf(before, patch);
      if (dto.event_types !== undefined && sameTypes(before.event_types, dto.event_types)) {
        delete change.new.event_types;
        delete change.old.event_types;
      }
      if (Object.keys(change.new).length === 0) return before;
      const uow = new UnitOfWork(manager);
      uow.add('updated_webhook', updateWebhookPart(id, change.new));
      this.audit.add(
        uow,
        AuditService.of(ctx, {
          action: 'webhook.updated',
          objectType: 'webhook',
          objectId: id,
          oldValue: change.old,
          newValue: change.new,
        }),
      );
      await uow.flush();
      return toWebhookView(await this.found(findWebhook(manager, ctx.tenantId, id)));
    });
  }

  /** Deletes the endpoint with its deliveries and their attempts (the audit log keeps what it was). */
  async remove(ctx: RequestContext, id: string): Promise<void> {
    await this.tx.run(async (manager) => {
      const before = toWebhookView(await this.found(lockWebhook(manager, ctx.tenantId, id)));
      const uow = new UnitOfWork(manager);
      uow.add('deleted_webhook', deleteWebhookPart(id));
      this.audit.add(
        uow,
        AuditService.of(ctx, { action: 'webhook.deleted', objectType: 'webhook', objectId: id, oldValue: before }),
      );
      await uow.flush();
    });
  }

  /** A new signing secret, shown once; the old one also signs for ROTATION_OVERLAP_HOURS. */
  async rotateSecret(ctx: RequestContext, id: string): Promise<WebhookWithSecret> {
    const secret = newSigningSecret();
    return this.tx.run(async (manager) => {
      const row = await this.found(lockWebhook(manager, ctx.tenantId, id));
      const uow = new UnitOfWork(manager);
      uow.add(
        'rotated_webhook',
        rotateSecretPart(id, this.secrets.seal(secret, id), row.secret, ROTATION_OVERLAP_HOURS),
      );
      this.audit.add(
        uow,
        AuditService.of(ctx, { action: 'webhook.secret_rotated', objectType: 'webhook', objectId: id }),
      );
      await uow.flush();
      const after = await this.found(findWebhook(manager, ctx.tenantId, id));
      return {
        ...toWebhookView(after),
        secret,
        previous_secret_expires_at: after.previous_secret_until!.toISOString(),
      };
    });
  }

  /**
   * The relay gives up on an endpoint: inactive, with the reason, audited and
   * told as a `webhook.disabled` event (to the tenant's other endpoints and the
   * feed), in one unit of work. False when it was inactive or gone already.
   */
  async disable(tenantId: string, id: string, reason: string): Promise<boolean> {
    const ctx = systemContext(tenantId, `webhook-relay-${randomUUID()}`);
    return this.tx.runOwn(async (manager) => {
      const row = await lockWebhook(manager, tenantId, id);
      if (!row?.active) return false;
      const uow = new UnitOfWork(manager);
      uow.add('disabled_webhook', disableWebhookPart(id, reason));
      const state = {
        id,
        url: row.url,
        active: false,
        disabled_reason: reason,
        consecutive_failures: row.consecutive_failures,
        failing_since: row.failing_since,
      };
      this.audit.add(
        uow,
        AuditService.of(ctx, {
          action: 'webhook.disabled',
          objectType: 'webhook',
          objectId: id,
          oldValue: { active: true },
          newValue: state,
        }),
      );
      uow.collect(
        'event_rows',
        [
          {
            tenant_id: tenantId,
            type: 'webhook.disabled',
            object_type: 'webhook',
            object_id: id,
            request_id: ctx.requestId,
            payload: { ...state, actor: ctx.actor },
          },
        ],
        insertEventsPart,
      );
      await uow.flush();
      return true;
    });
  }

  private async found(row: Promise<WebhookRow | undefined>): Promise<WebhookRow> {
    const found = await row;
    if (!found) throw new NotFoundError('Webhook');
    return found;
  }
}

function sameTypes(a: string[] | null, b: string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && [...a].sort().join() === [...b].sort().join();
}
