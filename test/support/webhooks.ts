import type { Response } from 'supertest';
import { WebhookRelay } from '../../src/webhooks/webhook-relay.js';
import { tenantsOfThisFile, type TestTenant } from './fixtures.js';
import type { TestApp } from './test-app.js';
import type { Receiver, Received } from './webhook-receiver.js';

// Webhooks: registering endpoints with the receiver (webhook-receiver.ts), the
// relay of a test app, and what the feed and the receiver saw.

/** POST /api/webhooks, whatever it answers. */
export function createWebhook(t: TestApp, tenant: TestTenant, body: unknown): Promise<Response> {
  return t.http
    .post('/api/webhooks')
    .set(tenant.auth)
    .send(body as object);
}

/** An endpoint for `receiver.url(name)` (every event type unless `body` says), its secret registered with the receiver. */
export async function newWebhook(
  t: TestApp,
  tenant: TestTenant,
  receiver: Receiver,
  name: string,
  body: Record<string, unknown> = {},
): Promise<{ id: string; secret: string }> {
  const res = await createWebhook(t, tenant, { url: receiver.url(name), ...body });
  if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${JSON.stringify(res.body)}`);
  receiver.expect(name, res.body.data.secret);
  return { id: res.body.data.id, secret: res.body.data.secret };
}

/** The app settings of tests that relay (see startRelay): loopback allowed, quick retries. */
export const RELAY_ENV = {
  WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
  WEBHOOK_RETRY_BASE_MS: '50',
  WEBHOOK_TIMEOUT_MS: '2000',
};

/** Starts the app's relay for this file's tenants only: other files' apps share the database, and relay theirs. */
export function startRelay(t: TestApp): WebhookRelay {
  const relay = t.app.get(WebhookRelay);
  relay.start({ tenantIds: tenantsOfThisFile });
  return relay;
}

/** Every event of the tenant as the feed shows it, once the feed hands out all of those committed by now. */
export async function feedEvents(t: TestApp, tenant: TestTenant): Promise<Record<string, any>[]> {
  const [{ n }] = await t.db.query('SELECT count(*)::int AS n FROM event WHERE tenant_id = $1', [tenant.id]);
  const events: Record<string, any>[] = [];
  let after: string | undefined;
  const deadline = Date.now() + 60_000;
  while (events.length < n) {
    if (Date.now() > deadline) throw new Error(`feed: ${events.length} of ${n} events after 60 s`);
    const res = await t.http
      .get('/api/events')
      .set(tenant.auth)
      .query({ limit: 100, wait: 5, ...(after ? { after } : {}) });
    if (res.status !== 200) throw new Error(`feed: ${res.status} ${JSON.stringify(res.body)}`);
    after = res.body.page.next_cursor;
    events.push(...res.body.data);
  }
  return events;
}

/** The events of received messages, in arrival order: a batch's in its order. */
export function eventsReceived(received: Received[]): Record<string, any>[] {
  return received.flatMap((r) => (r.body.type === 'batch' ? (r.body.data as Record<string, any>[]) : [r.body.data]));
}

/** The seq of each received stock event, per stock row, in arrival order: to check the order per row. */
export function seqsByRow(received: Received[]): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  for (const e of eventsReceived(received)) {
    const p = e.payload;
    if (e.object_type !== 'stock') continue;
    const key = `${p.item_id}/${p.warehouse_id}`;
    rows.set(key, [...(rows.get(key) ?? []), e.seq]);
  }
  return rows;
}
