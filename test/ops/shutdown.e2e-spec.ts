import { afterEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { connect } from 'node:net';
import pg from 'pg';
import { ADMIN_TOKEN } from '../support/test-app.js';
import { sleep } from '../support/util.js';
import { startServer, type ServerProcess } from './support/processes.js';

// SIGTERM on the built server while requests are in flight on keep-alive
// connections, as a load balancer's connections are during a rolling deploy:
// every request that reached the server is answered, none is reset.

interface Outcome {
  status?: number;
  connection?: string;
  error?: string;
  at: number;
}

/** One request on `agent`, settled with its status or the socket error: never rejects. */
function send(agent: http.Agent, url: string, method: string, key: string, body?: unknown): Promise<Outcome> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((done) => {
    const req = http.request(
      url,
      {
        method,
        agent,
        headers: { Authorization: `Bearer ${key}`, ...(payload ? { 'Content-Type': 'application/json' } : {}) },
      },
      (res) => {
        res.resume();
        res.on('end', () => done({ status: res.statusCode, connection: res.headers.connection, at: Date.now() }));
        res.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message, at: Date.now() }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => done({ error: err.code ?? err.message, at: Date.now() }));
    req.end(payload);
  });
}

async function json<T>(server: ServerProcess, path: string, key: string, body?: unknown): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: T }).data;
}

/** A tenant of its own and an item with plenty of stock, through the API. */
async function tenantWithItem(server: ServerProcess) {
  const { api_key } = await json<{ api_key: { key: string } }>(server, '/api/admin/tenants', ADMIN_TOKEN, {
    name: `shutdown-${randomUUID()}`,
  });
  const item = await json<{ id: string }>(server, '/api/items', api_key.key, {
    name: `item-${randomUUID()}`,
    qty: 1000,
  });
  return { key: api_key.key, itemId: item.id };
}

function exited(server: ServerProcess): Promise<number | null> {
  return server.child.exitCode !== null
    ? Promise.resolve(server.child.exitCode)
    : new Promise((done) => server.child.once('exit', (code) => done(code)));
}

async function query<T>(statement: string, params: unknown[]): Promise<T[]> {
  const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await c.connect();
  try {
    return (await c.query(statement, params)).rows as T[];
  } finally {
    await c.end();
  }
}

/** A keep-alive agent with `connections` open sockets, each used once. */
async function warmAgent(server: ServerProcess, key: string, connections: number): Promise<http.Agent> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const warm = await Promise.all(
    Array.from({ length: connections }, () => send(agent, `${server.url}/api/me`, 'GET', key)),
  );
  expect(warm.map((o) => o.status)).toEqual(Array(connections).fill(200));
  expect(Object.values(agent.freeSockets).flat()).toHaveLength(connections);
  return agent;
}

/** What happened to a group of requests, printed so that it can be quoted. */
function outcomesOf(outcomes: Outcome[], signalledAt: number) {
  const count = (f: (o: Outcome) => boolean) => outcomes.filter(f).length;
  return {
    sent: outcomes.length,
    unanswered_at_sigterm: count((o) => o.at >= signalledAt),
    answered_2xx: count((o) => o.status !== undefined && o.status < 300),
    answered_503: count((o) => o.status === 503),
    connection_close: count((o) => o.connection === 'close'),
    // "socket hang up" is ECONNRESET too.
    reset: count((o) => o.error === 'ECONNRESET'),
    other_errors: outcomes.flatMap((o) => (o.error && o.error !== 'ECONNRESET' ? [o.error] : [])),
  };
}
const SHUTDOWN_TIMEOUT_MS = 10_000;

describe('graceful shutdown of the built server', () => {
  let server: ServerProcess | undefined;
  afterEach(async () => {
    await server?.stop();
    server = undefined;
  });

  it('answers every request in flight on keep-alive connections, resets none, exits 0 with the invariants intact', async () => {
    server = await startServer({
      ADMIN_TOKEN,
      RATE_LIMIT_PER_MINUTE: '0',
      SHUTDOWN_DELAY_MS: '0',
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    const { key, itemId } = await tenantWithItem(server);
    const busy = await warmAgent(server, key, 30);
    const idle = await warmAgent(server, key, 20);
    const reference = `shutdown-${randomUUID()}`;
    const reserve = (agent: http.Agent) =>
      send(agent, `${server!.url}/api/reservations`, 'POST', key, {
        lines: [{ item_id: itemId, quantity: 1 }],
        reference,
      });

    // 30 reservations sent 20 ms before the signal; then, as a load balancer that
    // has not noticed yet, one every 5 ms for 100 ms on connections left idle.
    const inFlight = Array.from({ length: 30 }, () => reserve(busy));
    await sleep(20);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const late: Promise<Outcome>[] = [];
    for (let i = 0; i < 20; i++, await sleep(5)) late.push(reserve(idle));
    const [early, after] = [await Promise.all(inFlight), await Promise.all(late)];
    const code = await exited(server);
    const exitMs = Date.now() - signalledAt;
    busy.destroy();
    idle.destroy();

    const figures = {
      exit_code: code,
      exit_ms: exitMs,
      in_flight: outcomesOf(early, signalledAt),
      sent_after_sigterm: outcomesOf(after, signalledAt),
    };
    console.log(`shutdown figures: ${JSON.stringify(figures)}`);
    const outcomes = [...early, ...after];
    expect(outcomes.filter((o) => o.error !== undefined)).toEqual([]);
    for (const o of outcomes) expect([201, 503]).toContain(o.status);
    // Every answer written after the signal tells the client not to reuse its connection.
    for (const o of outcomes.filter((o) => o.at > signalledAt + 50)) expect(o.connection).toBe('close');
    expect(code).toBe(0);
    // Idle connections are closed by the server, not left to their keep-alive timeout (Node's 5 s).
    expect(exitMs).toBeLessThan(5000);

    const [stock] = await query<{ reserved: number; held: number }>(
      `SELECT sum(s.reserved)::int AS reserved,
              (SELECT COALESCE(sum(l.quantity), 0)::int FROM reservation_line l JOIN reservation r ON r.id = l.reservation_id
                WHERE l.item_id = $1 AND r.status = 'active') AS held
         FROM stock s WHERE s.item_id = $1`,
      [itemId],
    );
    expect(stock!.reserved).toBe(stock!.held);
    const [created] = await query<{ n: number }>('SELECT count(*)::int AS n FROM reservation WHERE reference = $1', [
      reference,
    ]);
    expect(created!.n).toBe(outcomes.filter((o) => o.status === 201).length);
  });

  it('turns /health/ready 503 at once and keeps serving during SHUTDOWN_DELAY_MS', async () => {
    const delayMs = 2000;
    server = await startServer({
      ADMIN_TOKEN,
      RATE_LIMIT_PER_MINUTE: '0',
      SHUTDOWN_DELAY_MS: String(delayMs),
      SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS),
    });
    const { key, itemId } = await tenantWithItem(server);
    expect((await fetch(`${server.url}/health/ready`)).status).toBe(200);

    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    let ready: Response;
    for (;;) {
      ready = await fetch(`${server.url}/health/ready`);
      if (ready.status !== 200 || Date.now() - signalledAt > delayMs) break;
      await sleep(10);
    }
    const notReadyMs = Date.now() - signalledAt;
    expect(ready.status).toBe(503);
    expect(notReadyMs).toBeLessThan(500);
    const body = (await ready.json()) as {
      request_id: string;
      error: string;
      message: string;
      details: { check: string; status: string }[];
    };
    expect(body).toMatchObject({ error: 'service_unavailable', message: expect.stringContaining('shutting down') });
    expect(body.details).toEqual([{ check: 'shutdown', status: 'down' }]);
    expect(typeof body.request_id).toBe('string');

    // The load balancer has not noticed yet: traffic is still served normally.
    expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
    const reservation = await json<{ status: string }>(server, '/api/reservations', key, {
      lines: [{ item_id: itemId, quantity: 1 }],
    });
    expect(reservation.status).toBe('active');
    expect(Date.now() - signalledAt).toBeLessThan(delayMs);

    const code = await exited(server);
    const exitMs = Date.now() - signalledAt;
    console.log(
      `shutdown with delay: ${JSON.stringify({ delay_ms: delayMs, ready_503_after_ms: notReadyMs, exit_code: code, exit_ms: exitMs })}`,
    );
    expect(code).toBe(0);
    expect(exitMs).toBeGreaterThanOrEqual(delayMs);
    expect(exitMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
  });

  it('on SIGINT too; past SHUTDOWN_TIMEOUT_MS it cuts what is left and exits 1, saying so', async () => {
    const timeoutMs = 1500;
    server = await startServer({ SHUTDOWN_DELAY_MS: '0', SHUTDOWN_TIMEOUT_MS: String(timeoutMs) });
    // A request whose body never finishes arriving: it stays in flight for ever.
    const socket = connect(Number(new URL(server.url).port), '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.on('error', () => undefined);
    socket.write(
      'POST /api/items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na',
    );
    await sleep(100);

    const signalledAt = Date.now();
    server.child.kill('SIGINT');
    const code = await exited(server);
    const exitMs = Date.now() - signalledAt;
    socket.destroy();
    console.log(
      `shutdown past its timeout: ${JSON.stringify({ timeout_ms: timeoutMs, exit_code: code, exit_ms: exitMs })}`,
    );
    expect(code).toBe(1);
    expect(exitMs).toBeGreaterThanOrEqual(timeoutMs);
    expect(exitMs).toBeLessThan(timeoutMs + 1500);
    const line = server
      .lines()
      .map((l) => JSON.parse(l) as { level: string; msg: string; requests_in_flight?: number })
      .find((l) => l.msg.includes('SHUTDOWN_TIMEOUT_MS'));
    expect(line).toMatchObject({ level: 'error', requests_in_flight: 1 });
  });
});
