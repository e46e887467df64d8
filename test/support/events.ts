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

/** Reads the feed from `after` (the start when omitted) until a page comes back empty: every event and the cursor. */
export async function readAll(
  t: TestApp,
  tenant: TestTenant,
  after?: string,
): Promise<{ events: EventData[]; cursor: string }> {
  const events: EventData[] = [];
  let cursor = after;
  for (;;) {
    const res = await feed(t, tenant, { limit: 100, ...(cursor ? { after: cursor } : {}) }).expect(200);
    cursor = res.body.page.next_cursor as string;
    if (res.body.data.length === 0) return { events, cursor };
    events.push(...res.body.data);
  }
}

/** The events a request wrote (by its request id), in feed order, straight from the table. */
export async function eventsOf(t: TestApp, tenantId: string, requestId: string): Promise<EventData[]> {
  return t.db.query(
    `SELECT e.id::text, e.type, e.tenant_id, e.object_type, e.object_id, e.seq, e.request_id, e.payload
     FROM event e WHERE e.tenant_id = $1 AND e.request_id = $2 ORDER BY e.txid, e.id`,
    [tenantId, requestId],
  );
}
