import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes, randomUUID } from 'node:crypto';
import { ADMIN_TOKEN } from '../support/test-app.js';
import { sleep } from '../support/util.js';
import { Receiver } from '../support/webhook-receiver.js';
import { OtlpReceiver, SPAN_KIND, type ReceivedSpan } from './support/otlp-receiver.js';
import { scratchDatabase, startServer, type ServerProcess } from './support/processes.js';

// OpenTelemetry, on the built server as it runs in production: the SDK has to
// start before the instrumented modules are imported (src/main.ts), which
// jest's module loader cannot show, so the server is a child process, its
// spans go to a local OTLP receiver (JSON encoding) and its webhooks to a real
// webhook receiver.

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

type Line = Record<string, unknown>;

/** A server on a database of its own (its relay delivers every tenant's webhooks), and a tenant with an endpoint. */
async function serverWithWebhook(env: Record<string, string>, hooks: Receiver, hook: string) {
  const server = await startServer({
    ...database.env,
    ADMIN_TOKEN,
    LOG_LEVEL: 'info',
    WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true',
    ...env,
  });
  const post = async (path: string, key: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { data: Record<string, any> }).data;
  };
  const { api_key } = await post('/api/admin/tenants', ADMIN_TOKEN, { name: `traces-${randomUUID()}` });
  const key = api_key.key as string;
  const endpoint = await post('/api/webhooks', key, { url: hooks.url(hook), event_types: ['item.created'] });
  hooks.expect(hook, endpoint.secret as string);
  return { server, key };
}

/** POST /api/items, with the headers given; answers the request id. */
async function createItem(server: ServerProcess, key: string, headers: Record<string, string> = {}) {
  const requestId = `traces-${randomUUID()}`;
  const res = await fetch(`${server.url}/api/items`, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${key}`,
      'Content-Type': 'application/json',
      'X-Request-Id': requestId,
      ...headers,
    },
    body: JSON.stringify({ name: `item-${randomUUID()}`, qty: 3 }),
  });
  expect(res.status).toBe(201);
  return requestId;
}

async function requestLine(server: ServerProcess, requestId: string): Promise<Line> {
  return JSON.parse(
    await server.waitForLine((l) => l.includes(`"request_id":"${requestId}"`) && l.includes('"latency_ms"')),
  ) as Line;
}

/** Whether `span` descends from `ancestor` within `spans`. */
function descendsFrom(span: ReceivedSpan, ancestor: ReceivedSpan, spans: ReceivedSpan[]): boolean {
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (let s = byId.get(span.parentSpanId ?? ''); s; s = byId.get(s.parentSpanId ?? '')) {
    if (s.spanId === ancestor.spanId) return true;
  }
  return false;
}

let database: Awaited<ReturnType<typeof scratchDatabase>>;
let otlp: OtlpReceiver;
let hooks: Receiver;

beforeAll(async () => {
  [database, otlp, hooks] = await Promise.all([scratchDatabase('traces'), OtlpReceiver.start(), Receiver.start()]);
});
afterAll(async () => {
  await Promise.all([otlp?.close(), hooks?.down()]);
  await database?.drop();
});

describe('with OTEL_EXPORTER_OTLP_ENDPOINT set', () => {
  let server: ServerProcess;
  let key: string;

  beforeAll(async () => {
    ({ server, key } = await serverWithWebhook(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
        // Export every 100 ms instead of every 5 s.
        OTEL_BSP_SCHEDULE_DELAY: '100',
      },
      hooks,
      'traced',
    ));
  });
  afterAll(() => server?.stop());

  it('continues the caller trace: server span, database queries, log line and webhook in it', async () => {
    const [traceId, callerSpanId] = [hex(16), hex(8)];
    const requestId = await createItem(server, key, { traceparent: `00-${traceId}-${callerSpanId}-01` });

    // The request's span is a child of the caller's, named by its route.
    const spans = await otlp.waitForTrace(traceId, (s) => s.some((x) => x.kind === SPAN_KIND.server));
    const serverSpan = spans.find((s) => s.kind === SPAN_KIND.server)!;
    expect(serverSpan).toMatchObject({
      parentSpanId: callerSpanId,
      name: 'POST /api/items',
      service: 'inventory-service',
      attributes: expect.objectContaining({ 'http.route': '/api/items' }),
    });

    // Its queries are spans below it, SQL text included: the transaction from BEGIN to COMMIT.
    const queries = spans.filter((s) => s.name.startsWith('pg.query'));
    expect(queries.map((q) => String(q.attributes['db.query.text']).split(/\s/)[0])).toEqual(
      expect.arrayContaining(['START', 'COMMIT']),
    );
    expect(queries.some((q) => String(q.attributes['db.query.text']).includes('INSERT INTO item'))).toBe(true);
    for (const q of queries) expect(descendsFrom(q, serverSpan, spans)).toBe(true);

    // The request line carries the trace id next to the request id.
    expect(await requestLine(server, requestId)).toMatchObject({ request_id: requestId, trace_id: traceId });

    // The item.created webhook is sent in the same trace: a client span under the request's span,
    // whose context the POST carries on.
    const [delivery] = await hooks.waitFor('traced', (got) => got.some((r) => r.body.data.request_id === requestId));
    const [, hookTrace, hookParent] = TRACEPARENT.exec(delivery!.traceparent ?? '') ?? [];
    expect(hookTrace).toBe(traceId);
    const withClient = await otlp.waitForTrace(traceId, (s) => s.some((x) => x.spanId === hookParent));
    expect(withClient.find((s) => s.spanId === hookParent)).toMatchObject({
      kind: SPAN_KIND.client,
      name: 'POST',
      parentSpanId: serverSpan.spanId,
    });
    expect(delivery!.verified).toBe(true);
  });

  it('starts a trace of its own for a request without a traceparent', async () => {
    const requestId = await createItem(server, key);
    const line = await requestLine(server, requestId);
    expect(line.trace_id).toMatch(/^[0-9a-f]{32}$/);
    const spans = await otlp.waitForTrace(String(line.trace_id), (s) => s.some((x) => x.kind === SPAN_KIND.server));
    expect(spans.find((s) => s.kind === SPAN_KIND.server)).not.toHaveProperty('parentSpanId');
  });

  it('traces neither health probes nor metrics scrapes', async () => {
    const probeTraces = [hex(16), hex(16)];
    await fetch(`${server.url}/health/ready`, { headers: { traceparent: `00-${probeTraces[0]}-${hex(8)}-01` } });
    await fetch(`${server.url}/metrics`, { headers: { traceparent: `00-${probeTraces[1]}-${hex(8)}-01` } });
    // A traced request after them: once its spans are exported, theirs would have been too.
    const after = hex(16);
    await createItem(server, key, { traceparent: `00-${after}-${hex(8)}-01` });
    await otlp.waitForTrace(after, (s) => s.some((x) => x.kind === SPAN_KIND.server));
    expect(probeTraces.flatMap((t) => otlp.trace(t))).toEqual([]);
  });
});

describe.each([
  ['by default (no OTEL_EXPORTER_OTLP_ENDPOINT)', 'off-default', {}],
  [
    'with OTEL_SDK_DISABLED=true, even with an endpoint',
    'off-disabled',
    {
      OTEL_EXPORTER_OTLP_ENDPOINT: 'to be set',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SDK_DISABLED: 'true',
    },
  ],
])('tracing is off %s', (_label, hook, env: Record<string, string>) => {
  let server: ServerProcess;
  let key: string;

  beforeAll(async () => {
    const resolved = env.OTEL_EXPORTER_OTLP_ENDPOINT ? { ...env, OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url } : env;
    ({ server, key } = await serverWithWebhook(resolved, hooks, hook));
  });
  afterAll(() => server?.stop());

  it('exports nothing, logs no trace id and sends webhooks without a traceparent', async () => {
    const exportsBefore = otlp.requests;
    const traceId = hex(16);
    const requestId = await createItem(server, key, { traceparent: `00-${traceId}-${hex(8)}-01` });

    const line = await requestLine(server, requestId);
    expect(line.request_id).toBe(requestId);
    expect(line).not.toHaveProperty('trace_id');
    const [delivery] = await hooks.waitFor(hook, (got) => got.some((r) => r.body.data.request_id === requestId));
    expect(delivery!.traceparent).toBeUndefined();
    expect(server.lines().some((l) => l.includes('Tracing on'))).toBe(false);
    // An exporter would have sent within its 100 ms schedule.
    await sleep(500);
    expect(otlp.requests).toBe(exportsBefore);
  });
});
