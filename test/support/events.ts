import type { Test } from 'supertest';
import type { TestTenant } from './fixtures.js';
import type { TestApp } from './test-app.js';

// The outbox: the event feed over HTTP, and the events rows as they are.

export interface EventData {
  id: string;
  type: string;
  tenant_id: string;
  object_type: string;
  object_id: string;
  seq: number | null;
  request_id: string;
  occurred_at: string;
  payload: Record<string, any>;
}

/** GET /api/events, whatever it answers. */
export function feed(t: TestApp, tenant: TestTenant, query: Record<string, string | number> = {}): Test {
  return t.http.get('/api/events').set(tenant.auth).query(query);
}

/**
 * Reads the feed from `after` (the start when omitted) until it has handed out
 * every event of the tenant committed by now, waiting (long polls) while
 * transactions elsewhere in the cluster hold them back: a transaction of another
 * test file left open delays the feed (it never skips). Returns them and the cursor.
 */
export async function readAll(
  t: TestApp,
  tenant: TestTenant,
  after?: string,
): Promise<{ events: EventData[]; cursor: string }> {
  const [txid, id] = after ? positionOf(after) : ['0', '0'];
  const [{ n }] = await t.db.query(
    'SELECT count(*)::int AS n FROM event e WHERE e.tenant_id = $1 AND (e.txid, e.id) > ($2::xid8, $3::bigint)',
    [tenant.id, txid, id],
  );
  const events: EventData[] = [];
  let cursor = after;
  const deadline = Date.now() + 60_000;
  while (events.length < n || cursor === undefined) {
    if (Date.now() > deadline) throw new Error(`readAll: ${events.length} of ${n} events after 60 s`);
    const res = await feed(t, tenant, { limit: 100, wait: 5, ...(cursor ? { after: cursor } : {}) }).expect(200);
    cursor = res.body.page.next_cursor as string;
    events.push(...res.body.data);
  }
  return { events, cursor };
}

/**
 * A reader polling the feed from `after` as fast as it can (no wait) while
 * writers run; `stop()` ends it and reads what is left. Answers every event it
 * was handed, in order (duplicates kept: tests look for them).
 */
export function pollFeed(t: TestApp, tenant: TestTenant, after: string): { stop(): Promise<EventData[]> } {
  let polling = true;
  const got: EventData[] = [];
  const reader = (async () => {
    let cursor = after;
    while (polling) {
      const res = await feed(t, tenant, { after: cursor, limit: 100 }).expect(200);
      got.push(...res.body.data);
      cursor = res.body.page.next_cursor;
    }
    return cursor;
  })();
  return {
    async stop() {
      polling = false;
      got.push(...(await readAll(t, tenant, await reader)).events);
      return got;
    },
  };
}

/** The feed position a cursor stands for (tests know its format: base64url JSON, then a signature). */
export function positionOf(cursor: string): [string, string] {
  const [, txid, id] = JSON.parse(Buffer.from(cursor.split('.')[0]!, 'base64url').toString()) as string[];
  return [txid!, id!];
}

/** The events a request wrote (by its request id), in feed order, straight from the table. */
export async function eventsOf(t: TestApp, tenantId: string, requestId: string): Promise<EventData[]> {
  return t.db.query(
    `SELECT e.id::text, e.type, e.tenant_id, e.object_type, e.object_id, e.seq, e.request_id, e.payload
     FROM event e WHERE e.tenant_id = $1 AND e.request_id = $2 ORDER BY e.txid, e.id`,
    [tenantId, requestId],
  );
}
