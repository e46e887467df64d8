import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CursorCodec } from '../common/cursor.js';
import { cursorTimestamp, SqlWhere, toPage } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import type { RequestContext } from '../common/request-context.js';
import { type SqlPart, sqlParts } from '../database/sql.js';
import { type AuditedEntry, BusinessEvents } from '../metrics/business-events.js';
import type { ListAuditLogsQuery } from './dto/list-audit-logs.query.js';

export interface AuditEntry {
  action: string;
  objectType: string;
  objectId: string;
  oldValue?: unknown;
  newValue?: unknown;
}

export interface AuditLogView {
  id: string;
  actor: string;
  action: string;
  object_type: string;
  object_id: string;
  old_value: unknown;
  new_value: unknown;
  request_id: string;
  created_at: string;
}

interface AuditRow extends Omit<AuditLogView, 'created_at'> {
  created_at: Date;
  cursor_ts: string;
}

const CURSOR_KIND = 'audit';

@Injectable()
export class AuditService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cursors: CursorCodec,
    private readonly events: BusinessEvents,
  ) {}

  /**
   * Appends audit rows on the caller's transaction, so they commit or roll back
   * with the change they describe. One statement for any number of entries, and
   * for the changes given `alongside` (see recordEach).
   */
  async record(
    manager: EntityManager,
    ctx: RequestContext,
    entries: AuditEntry | AuditEntry[],
    alongside: Record<string, SqlPart> = {},
  ): Promise<void> {
    const list = Array.isArray(entries) ? entries : [entries];
    await this.recordEach(
      manager,
      list.map((entry) => ({ ...entry, tenantId: ctx.tenantId, actor: ctx.actor, requestId: ctx.requestId })),
      alongside,
    );
  }

  /**
   * The same for entries that each name their tenant, actor and request id (a
   * batch, a sweep). `alongside`: other changes to make in the same statement
   * (see sqlParts), so that a change and its audit rows cost one round trip.
   */
  async recordEach(manager: EntityManager, entries: AuditedEntry[], alongside: Record<string, SqlPart> = {}): Promise<void> {
    if (entries.length === 0) {
      if (Object.keys(alongside).length > 0) await sqlParts(manager, alongside);
      return;
    }
    await sqlParts(manager, { ...alongside, audit: insertAuditRows(entries) });
    this.events.audited(manager, entries);
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(ctx: RequestContext, query: ListAuditLogsQuery): Promise<Page<AuditLogView>> {
    const limit = query.limit ?? 20;
    const where = new SqlWhere().add('tenant_id = ?', ctx.tenantId);
    if (query.object_type !== undefined) where.add('object_type = ?', query.object_type);
    if (query.object_id !== undefined) where.add('object_id = ?', query.object_id);
    if (query.action !== undefined) where.add('action = ?', query.action);
    if (query.from !== undefined) where.add('created_at >= ?::timestamptz', query.from);
    if (query.to !== undefined) where.add('created_at < ?::timestamptz', query.to);
    if (query.cursor !== undefined) {
      const [ts, id] = this.cursors.decode(CURSOR_KIND, query.cursor, 2);
      where.add('(created_at, id) < (?::timestamptz, ?::uuid)', ts, id);
    }
    const rows = await this.dataSource.query<AuditRow[]>(
      `SELECT id, actor, action, object_type, object_id, old_value, new_value, request_id, created_at,
              ${cursorTimestamp('created_at')} AS cursor_ts
       FROM audit_log WHERE ${where}
       ORDER BY created_at DESC, id DESC
       LIMIT ${where.param(limit + 1)}`,
      where.params,
    );
    return toPage(rows, limit, (last) => this.cursors.encode(CURSOR_KIND, [last.cursor_ts, last.id]), toView);
  }
}

function insertAuditRows(entries: AuditedEntry[]): SqlPart {
  const payload = entries.map((e) => ({
    tenant_id: e.tenantId,
    actor: e.actor,
    request_id: e.requestId,
    action: e.action,
    object_type: e.objectType,
    object_id: e.objectId,
    old_value: e.oldValue ?? null,
    new_value: e.newValue ?? null,
  }));
  return {
    text: `INSERT INTO audit_log (tenant_id, actor, action, object_type, object_id, old_value, new_value, request_id)
           SELECT a.tenant_id, a.actor, a.action, a.object_type, a.object_id, a.old_value, a.new_value, a.request_id
           FROM ROWS FROM (
                  jsonb_to_recordset($1::jsonb) AS (tenant_id uuid, actor text, request_id text, action text,
                                                   object_type text, object_id uuid, old_value jsonb, new_value jsonb)
                ) WITH ORDINALITY AS a(tenant_id, actor, request_id, action, object_type, object_id, old_value, new_value, n)
           ORDER BY a.n`,
    params: [JSON.stringify(payload)],
  };
}

function toView({ cursor_ts: _ts, created_at, ...row }: AuditRow): AuditLogView {
  return { ...row, created_at: created_at.toISOString() };
}
