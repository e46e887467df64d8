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
  isAfter,
  purgeFeedStart,
  purgeMark,
  readFeed,
  tenantsWithOldEvents,
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
    const manager = this.dataSource.manager;
    const limit = query.limit ?? 20;
    const after = query.after === undefined ? undefined : this.position(query.after);
    // Without a cursor: from the oldest event kept (after the purge's mark).
    let from = after ?? (await this.start(ctx.tenantId));
    const deadline = Date.now() + (query.wait ?? 0) * 1000;
    let page = await readFeed(manager, ctx.tenantId, from, limit, query.types);
    for (let i = 0; page.rows.length === 0 && Date.now() < deadline && !this.stopping && !closed(); i++) {
      // Past what this read passed over (events of other types), so that it is not scanned again.
      from = page.through ?? from;
      await sleep(Math.min(POLL_MS[Math.min(i, POLL_MS.length - 1)]!, deadline - Date.now()));
      page = await readFeed(manager, ctx.tenantId, from, limit, query.types);
    }
    // After the read: a purge that went past the cursor before it (or while it ran) has moved the mark by now.
    if (after) await this.assertKept(ctx.tenantId, after);
    const reached = page.through ?? page.rows.at(-1) ?? from;
    return new Page(page.rows.map(toEventView), this.cursorAfter(reached), limit);
  }

  /** Purges, per tenant, the start of its feed that is older than `days`, in batches; answers how many went. */
  async purgeOlderThan(days: number, batch = 10_000): Promise<number> {
    let purged = 0;
    for (const tenantId of await tenantsWithOldEvents(this.dataSource.manager, days)) {
      for (;;) {
        const { n, done } = await purgeFeedStart(this.dataSource.manager, tenantId, days, batch);
        purged += n;
        if (done || n === 0) break;
      }
    }
    return purged;
  }

  /** The feed position a cursor of this feed points after (InvalidCursorError when it is not one). */
  position(cursor: string): FeedPosition {
    const [txid, id] = this.cursors.decode(CURSOR_KIND, cursor, 2).map(String) as [string, string];
    if (!/^\d{1,20}$/.test(txid) || !/^\d{1,19}$/.test(id)) throw new InvalidCursorError();
    return { txid, id };
  }

  /**
   * CursorExpiredError when events after `position` were purged. Asked after a read
   * from `position` (the mark only moves forward): if the mark is not past it now,
   * nothing after it was gone when the read ran.
   */
  async assertKept(tenantId: string, position: FeedPosition, manager = this.dataSource.manager): Promise<void> {
    const mark = await purgeMark(manager, tenantId);
    if (mark && isAfter(mark, position)) throw new CursorExpiredError(this.env.EVENT_RETENTION_DAYS);
  }

  /** The cursor that continues after `position`. */
  cursorAfter(position: FeedPosition): string {
    return this.cursors.encode(CURSOR_KIND, [position.txid, position.id]);
  }

  /** Where the tenant's feed starts: after what the purge deleted. */
  private async start(tenantId: string): Promise<FeedPosition> {
    return (await purgeMark(this.dataSource.manager, tenantId)) ?? { txid: '0', id: '0' };
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
