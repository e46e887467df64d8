import { BeforeApplicationShutdown, Injectable, OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { CursorCodec, InvalidCursorError } from '../common/cursor.js';
import { Env } from '../config/env.js';
import { CursorExpiredError } from '../common/errors.js';
import { Page } from '../common/page.js';
import type { RequestContext } from '../common/request-context.js';
import type { EventResponse } from './dto/event.response.js';
import type { ListEventsQuery } from './dto/list-events.query.js';
import { eventsOfAudit } from './event.js';
import {
  type EventRow,
  type FeedPosition,
  insertEventsPart,
  purgeEvents,
  purgedAfter,
  readFeed,
} from './event.repository.js';

const CURSOR_KIND = 'events';
/** How often a long poll looks again while nothing has arrived: often at first, then less. */
const POLL_MS = [50, 100, 200, 300, 500];

/**
 * The outbox and the feed. Every audited change that is an event (see
 * EVENT_ACTIONS) gets its event in the same unit of work as its audit rows;
 * stock events are written by the stock moves themselves (moveStock).
 */
@Injectable()
export class EventsService implements OnModuleInit, BeforeApplicationShutdown {
  private stopping = false;

  constructor(
    private readonly dataSource: DataSource,
    private readonly audit: AuditService,
    private readonly cursors: CursorCodec,
    private readonly env: Env,
  ) {}

  onModuleInit(): void {
    this.audit.onAudited((uow, entries) => uow.collect('event_rows', eventsOfAudit(entries), insertEventsPart));
  }

  /** Long polls end at once when the instance stops, so that they do not hold up the drain. */
  beforeApplicationShutdown(): void {
    this.stopping = true;
  }

  /**
   * The tenant's events after the cursor, in feed order; with `wait`, holds on
   * until at least one arrives or the time is up. The next cursor is always
   * given (the same one when nothing came), so a consumer just keeps calling;
   * with `types`, it moves past the events of other types the read passed over.
   */
  async list(ctx: RequestContext, query: ListEventsQuery, closed: () => boolean): Promise<Page<EventResponse>> {
    const limit = query.limit ?? 20;
    const after = query.after === undefined ? undefined : await this.position(ctx.tenantId, query.after);
    const deadline = Date.now() + (query.wait ?? 0) * 1000;
    let from = after;
    let page = await readFeed(this.dataSource.manager, ctx.tenantId, from, limit, query.types);
    for (let i = 0; page.rows.length === 0 && Date.now() < deadline && !this.stopping && !closed(); i++) {
      // Past what this read passed over (events of other types), so that it is not scanned again.
      from = page.through ?? from;
      await sleep(Math.min(POLL_MS[Math.min(i, POLL_MS.length - 1)]!, deadline - Date.now()));
      page = await readFeed(this.dataSource.manager, ctx.tenantId, from, limit, query.types);
    }
    const reached = page.through ?? page.rows.at(-1) ?? from;
    const next = reached ? this.cursors.encode(CURSOR_KIND, [reached.txid, reached.id]) : (query.after ?? this.start());
    return new Page(page.rows.map(toEventView), next, limit);
  }

  /** Purges events older than `days`, in batches; answers how many went. */
  async purgeOlderThan(days: number, batch = 10_000): Promise<number> {
    let purged = 0;
    for (;;) {
      const n = await purgeEvents(this.dataSource.manager, days, batch);
      purged += n;
      if (n < batch) return purged;
    }
  }

  /**
   * The feed position a cursor of this feed points after: InvalidCursorError when it
   * is not one, CursorExpiredError when events after it were purged.
   */
  async position(tenantId: string, cursor: string): Promise<FeedPosition> {
    const [txid, id] = this.cursors.decode(CURSOR_KIND, cursor, 2).map(String) as [string, string];
    if (!/^\d{1,20}$/.test(txid) || !/^\d{1,19}$/.test(id)) throw new InvalidCursorError();
    const position = { txid, id };
    if (await purgedAfter(this.dataSource.manager, tenantId, position)) {
      throw new CursorExpiredError(this.env.EVENT_RETENTION_DAYS);
    }
    return position;
  }

  /** The cursor that continues after `position`. */
  cursorAfter(position: FeedPosition): string {
    return this.cursors.encode(CURSOR_KIND, [position.txid, position.id]);
  }

  private start(): string {
    return this.cursors.encode(CURSOR_KIND, ['0', '0']);
  }
}

/** An event as the feed shows it (and as webhooks carry it in `data`). */
export function toEventView(row: EventRow): EventResponse {
  return {
    id: row.id,
    type: row.type,
    tenant_id: row.tenant_id,
    object_type: row.object_type,
    object_id: row.object_id,
    seq: row.seq,
    request_id: row.request_id,
    occurred_at: row.occurred_at.toISOString(),
    payload: row.payload as Record<string, unknown>,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
