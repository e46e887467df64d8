import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { sleep } from './util.js';

// A real HTTP receiver of webhooks on loopback that verifies every signature
// with the standardwebhooks library. No application behind it, so that the
// suites that start the service as a process (test/faults) can use it too.

/** What the receiver got: the headers, the body, and whether the signature verified with the endpoint's secret. */
export interface Received {
  path: string;
  id: string;
  timestamp: string;
  signature: string;
  /** The W3C trace context the delivery carried on (when the service traces). */
  traceparent?: string;
  verified: boolean;
  /** `data` is the event, or for a batch (`type` "batch") an array of events. */
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
  /** The status to answer a message with (it sees the parsed body, to fail one message in particular). */
  answer: (path: string, body: Received['body']) => number = () => 200;
  /** How long it takes to answer (a slow consumer keeps deliveries in flight). */
  delayMs = 0;
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
    if (this.delayMs > 0) await sleep(this.delayMs);
    const body = JSON.parse(text) as Received['body'];
    const status = this.answer(path, body);
    if (status >= 200 && status < 300) {
      this.received.push({
        path,
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        signature: headers['webhook-signature'],
        traceparent: typeof req.headers.traceparent === 'string' ? req.headers.traceparent : undefined,
        verified,
        body,
        at: Date.now(),
      });
    }
    res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
  }
}
