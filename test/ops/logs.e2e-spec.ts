import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { validateEnv } from '../../src/config/env.js';
import { toErrorResponse } from '../../src/common/error-response.js';
import { createLogger } from '../../src/logging/logger.js';
import { createLogging } from '../../src/logging/logging.js';
import { ADMIN_TOKEN } from '../support/test-app.js';
import { scratchDatabase, startServer, type ServerProcess } from './support/processes.js';

type Line = Record<string, unknown>;

/** The built server, logging at info as in production: every stdout line must be JSON. */
describe('logs of the running server', () => {
  let server: ServerProcess;
  let db: pg.Client;
  let tenant: { id: string; key: string };

  const parsed = (): Line[] => server.lines().map((l) => JSON.parse(l) as Line);
  const linesOf = (requestId: string) => parsed().filter((l) => l.request_id === requestId);
  const call = (path: string, init: RequestInit & { requestId: string; key?: string }) =>
    fetch(`${server.url}${path}`, {
      ...init,
      headers: {
        'X-Request-Id': init.requestId,
        ...(init.key ? { Authorization: `Bearer ${init.key}` } : {}),
        ...(init.body ? { 'Content-Type': 'application/json' } : {}),
      },
    });
  /** The request line is written when the response finishes: wait for it. */
  const requestLine = async (requestId: string) =>
    JSON.parse(
      await server.waitForLine((l) => l.includes(`"request_id":"${requestId}"`) && l.includes('"latency_ms"')),
    ) as Line;

  // A database of its own: this server's cron sweeps every tenant each second, and
  // must not expire the holds other test files are looking at.
  let database: Awaited<ReturnType<typeof scratchDatabase>>;

  beforeAll(async () => {
    database = await scratchDatabase('logs');
    server = await startServer({
      ...database.env,
      LOG_LEVEL: 'info',
      ADMIN_TOKEN,
      ENABLE_CRON: 'true',
      RESERVATION_SWEEP_CRON: '* * * * * *',
    });
    db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const res = await call('/api/admin/tenants', {
      method: 'POST',
      requestId: `admin-${randomUUID()}`,
      key: ADMIN_TOKEN,
      body: JSON.stringify({ name: `logs-${randomUUID()}` }),
    });
    expect(res.status).toBe(201);
    const { data } = (await res.json()) as { data: { tenant: { id: string }; api_key: { key: string } } };
    tenant = { id: data.tenant.id, key: data.api_key.key };
  });
  afterAll(async () => {
    await db?.end();
    await server?.stop();
    await database?.drop();
  });

  it('writes JSON lines only, with ISO time and level names', () => {
    const lines = parsed();
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) {
      expect(typeof line.msg).toBe('string');
      expect(['debug', 'info', 'warn', 'error', 'fatal']).toContain(line.level);
      expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    expect(server.stderr()).toBe('');
  });

  it('announces where it listens and the docs', () => {
    const listening = parsed().find((l) => String(l.msg).startsWith('Listening on'))!;
    expect(listening).toMatchObject({
      level: 'info',
      url: expect.stringMatching(/\/api$/),
      docs: expect.stringMatching(/\/docs$/),
    });
    expect(parsed().some((l) => l.database === 'external')).toBe(true);
  });

  it('logs one line per request: request_id, tenant, method, route template, status, latency', async () => {
    const requestId = `logs-${randomUUID()}`;
    const item = await call('/api/items', {
      method: 'POST',
      requestId,
      key: tenant.key,
      body: JSON.stringify({ name: `item-${randomUUID()}`, qty: 3 }),
    });
    expect(item.status).toBe(201);
    const { data } = (await item.json()) as { data: { id: string } };
    expect(await requestLine(requestId)).toEqual({
      level: 'info',
      time: expect.any(String),
      pid: expect.any(Number),
      hostname: expect.any(String),
      request_id: requestId,
      tenant_id: tenant.id,
      method: 'POST',
      route: '/api/items',
      path: '/api/items',
      status: 201,
      latency_ms: expect.any(Number),
      msg: 'request completed',
    });

    const getId = `logs-${randomUUID()}`;
    await call(`/api/items/${data.id}`, { requestId: getId, key: tenant.key });
    expect(await requestLine(getId)).toMatchObject({
      route: '/api/items/:id',
      path: `/api/items/${data.id}`,
      status: 200,
      tenant_id: tenant.id,
    });
    await new Promise((r) => setTimeout(r, 200));
    expect(linesOf(requestId)).toHaveLength(1);
    expect(linesOf(getId)).toHaveLength(1);
  });

  it('logs requests refused before routing too (malformed JSON, unknown key, unknown route)', async () => {
    const bad = `logs-${randomUUID()}`;
    await call('/api/items', { method: 'POST', requestId: bad, key: tenant.key, body: '{"name":' });
    expect(await requestLine(bad)).toMatchObject({ method: 'POST', path: '/api/items', status: 400 });

    const unknownKey = `logs-${randomUUID()}`;
    await call('/api/items', { requestId: unknownKey, key: 'inv_not-a-real-key' });
    const line = await requestLine(unknownKey);
    expect(line).toMatchObject({ route: '/api/items', status: 401 });
    expect(line.tenant_id).toBeUndefined();

    const nowhere = `logs-${randomUUID()}`;
    await call('/nowhere', { requestId: nowhere });
    expect(await requestLine(nowhere)).toMatchObject({ route: '(unmatched)', status: 404 });
  });

  it('logs what the sweeper expires and cancels, at info, with ids', async () => {
    const item = await call('/api/items', {
      method: 'POST',
      requestId: `logs-${randomUUID()}`,
      key: tenant.key,
      body: JSON.stringify({ name: `item-${randomUUID()}`, qty: 2 }),
    });
    const itemId = ((await item.json()) as { data: { id: string } }).data.id;
    const order = await call('/api/orders', {
      method: 'POST',
      requestId: `logs-${randomUUID()}`,
      key: tenant.key,
      body: JSON.stringify({ currency: 'EUR', lines: [{ item_id: itemId, quantity: 1, unit_price: 100 }] }),
    });
    const { id: orderId, reservation_id: reservationId } = (
      (await order.json()) as { data: { id: string; reservation_id: string } }
    ).data;
    await db.query(
      `UPDATE reservation SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 second' WHERE id = $1`,
      [reservationId],
    );

    let expired: Line | undefined;
    for (const deadline = Date.now() + 10_000; !expired && Date.now() < deadline;) {
      expired = parsed().find((l) => l.msg === 'reservation expired' && l.reservation_id === reservationId);
      if (!expired) await new Promise((r) => setTimeout(r, 100));
    }
    if (!expired) {
      // The sweepers of other test workers share the database and may get there first;
      // then the hold is expired all the same, and this server had nothing to log.
      const { rows } = await db.query('SELECT status FROM reservation WHERE id = $1', [reservationId]);
      expect(rows[0].status).toBe('expired');
      console.warn(`reservation ${reservationId} was swept by another test worker: the log line was not checked`);
      return;
    }
    expect(expired).toMatchObject({
      level: 'info',
      context: 'BusinessEvents',
      tenant_id: tenant.id,
      request_id: expect.stringMatching(/^sweep-/),
    });
    const cancelled = await server.waitForLine((l) => l.includes('"order cancelled"') && l.includes(orderId));
    expect(JSON.parse(cancelled)).toMatchObject({
      level: 'info',
      order_id: orderId,
      from: 'pending',
      to: 'cancelled',
      reason: 'reservation_expired',
    });
  });

  it('never writes an API key, the admin token or an Authorization header', () => {
    const all = server.lines().join('\n') + server.stderr();
    expect(all).not.toContain(tenant.key);
    expect(all).not.toContain(ADMIN_TOKEN);
    expect(all).not.toContain('inv_not-a-real-key');
    expect(all.toLowerCase()).not.toContain('authorization');
  });
});

describe('the logger itself', () => {
  it('redacts authorization headers, keys and tokens in anything logged as an object', async () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((out += chunk.toString()), done()) });
    const logger = await createLogger(validateEnv({ NODE_ENV: 'production', LOG_LEVEL: 'info' }), sink);
    logger.info(
      {
        req: { headers: { authorization: 'Bearer inv_secret1' } },
        api_key: 'inv_secret2',
        created: { key: 'inv_secret3', token: 'tok_secret4' },
      },
      'x',
    );
    expect(out).not.toMatch(/secret/);
    expect(JSON.parse(out)).toMatchObject({
      req: { headers: { authorization: '[REDACTED]' } },
      api_key: '[REDACTED]',
      created: { key: '[REDACTED]' },
    });
  });

  it('logs an unexpected error once, with its stack, through pino; the body has no internals', async () => {
    let out = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((out += chunk.toString()), done()) });
    const logging = await createLogging(validateEnv({ NODE_ENV: 'production' }), sink);
    Logger.overrideLogger(logging.nest);
    try {
      const { status, body } = toErrorResponse(new Error('boom: relation "x" does not exist'), 'req-500');
      expect({ status, body }).toEqual({
        status: 500,
        body: { request_id: 'req-500', error: 'internal_error', message: 'Internal server error' },
      });
    } finally {
      Logger.overrideLogger(false);
    }
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 'error',
      context: 'ExceptionFilter',
      err: { stack: expect.stringContaining('boom: relation "x" does not exist\n    at ') },
    });
    expect(lines[0].msg).toContain('req-500');
  });

  it('is quiet in tests (warn) and at info elsewhere unless LOG_LEVEL says otherwise', async () => {
    const sink = new Writable({ write: (_c, _e, done) => done() });
    expect((await createLogger(validateEnv({ NODE_ENV: 'test' }), sink)).level).toBe('warn');
    expect((await createLogger(validateEnv({ NODE_ENV: 'production' }), sink)).level).toBe('info');
    expect((await createLogger(validateEnv({ NODE_ENV: 'test', LOG_LEVEL: 'verbose' }), sink)).level).toBe('trace');
    expect((await createLogger(validateEnv({ LOG_LEVEL: 'log' }), sink)).level).toBe('info');
  });
});
