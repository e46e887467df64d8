import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Response } from 'supertest';
import { WebhookRelay } from '../../src/webhooks/webhook-relay.js';
import { tenantsOfThisFile, type TestTenant } from './fixtures.js';
import type { TestApp } from './test-app.js';
import { sleep } from './util.js';

// Webhooks: a real HTTP receiver on loopback that verifies every signature with
// the standardwebhooks library, and the calls that register endpoints.

/** What the receiver got: the headers, the body, and whether the signature verified with the endpoint's secret. */
export interface Received {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  verified: boolean;
  body: { type: string; timestamp: string; data: Record<string, any> };
  at: number;
}

/**
 * Listens on 127.0.0.1; each endpoint is a path (`/hooks/<name>`) whose secret
 * the test registers with `expect()`. `answer` decides the status (200 unless
 * set); `down()` refuses connections until `up()`.
 */
export class Receiver {
  readonly received: Received[] = [];
  answer: (path: string) => number = () => 200;
  private readonly secrets = new Map<string, string[]>();
  private server?: Server;
  private port = 0;

  static async start(): Promise<Receiver> {
    const receiver = new Receiver();
    await receiver.up();
    return receiver;
  }

  url(name: string): string {
    return `http://127.0.0.1:${this.port}/hooks/${name}`;
  }

  /** The secret(s) signatures to `url(name)` must verify with (any of them). */
  expect(name: string, ...secrets: string[]): void {
    this.secrets.set(`/hooks/${name}`, secrets);
  }

  /** What `name` received, in the order it arrived. */
  of(name: string): Received[] {
    return this.received.filter((r) => r.path === `/hooks/${name}`);
  }

  async up(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Waits until `name` has received at least `n` messages (or `predicate` holds). */
  async waitFor(
    name: string,
    predicate: number | ((got: Received[]) => boolean),
    timeoutMs = 30_000,
  ): Promise<Received[]> {
    const done = typeof predicate === 'number' ? (got: Received[]) => got.length >= predicate : predicate;
    const deadline = Date.now() + timeoutMs;
    while (!done(this.of(name))) {
      if (Date.now() > deadline)
        throw new Error(`receiver ${name}: ${this.of(name).length} messages after ${timeoutMs} ms`);
      await sleep(25);
    }
    return this.of(name);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '';
    const headers = {
      'webhook-id': String(req.headers['webhook-id']),
      'webhook-timestamp': String(req.headers['webhook-timestamp']),
      'webhook-signature': String(req.headers['webhook-signature']),
    };
    const verified = (this.secrets.get(path) ?? []).some((secret) => {
      try {
        new Webhook(secret).verify(text, headers);
        return true;
      } catch {
        return false;
      }
    });
    const status = this.answer(path);
    if (status >= 200 && status < 300) {
      this.received.push({
        path,
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        signature: headers['webhook-signature'],
        verified,
        body: JSON.parse(text),
        at: Date.now(),
      });
    }
    res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
  }
}

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

/** The received messages' event ids, per stock row, in arrival order, with their seq: to check the order per row. */
export function seqsByRow(received: Received[]): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  for (const r of received) {
    const p = r.body.data.payload;
    if (r.body.data.object_type !== 'stock') continue;
    const key = `${p.item_id}/${p.warehouse_id}`;
    rows.set(key, [...(rows.get(key) ?? []), r.body.data.seq]);
  }
  return rows;
}
