import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { backoffMs, createInventoryClient, DEFAULT_RETRY, type InventoryClient } from '../../client/src/index.js';

// The client's retries against a tiny HTTP server that answers from a script
// (no application): 503 and dropped connections are retried only where sending
// the request twice cannot apply it twice.

type Answer = 200 | 503 | 'drop';

interface Seen {
  method: string;
  url: string;
  key: string | undefined;
  body: string;
}

const ID = '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11';
const ITEM = {
  id: ID,
  sku: null,
  name: 'apple',
  description: null,
  qty: 5,
  reserved: 0,
  available: 5,
  reorder_point: null,
  low_stock: false,
  stock: [],
  created_at: '2026-12-01T10:00:00.000Z',
  updated_at: '2026-12-01T10:00:00.000Z',
};

let server: Server;
let script: Answer[] = [];
let seen: Seen[] = [];
let api: InventoryClient;

function answer(req: IncomingMessage, body: string, res: ServerResponse): void {
  seen.push({ method: req.method!, url: req.url!, key: req.headers['idempotency-key'] as string | undefined, body });
  const next = script.shift() ?? 200;
  if (next === 'drop') return void req.socket.destroy();
  const payload =
    next === 503
      ? { request_id: randomUUID(), error: 'service_unavailable', message: 'The database is unavailable or busy' }
      : { request_id: randomUUID(), data: ITEM };
  const status = next === 200 && req.method === 'POST' ? 201 : next;
  res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(payload));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => answer(req, body, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  api = createInventoryClient({
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: 'inv_test',
    retry: { attempts: 3, baseDelayMs: 5, maxDelayMs: 20 },
  });
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  script = [];
  seen = [];
});

const get = () => api.GET('/api/items/{id}', { params: { path: { id: ID } } });
const create = (idempotencyKey?: string) => api.POST('/api/items', { body: { name: 'apple', qty: 5 }, idempotencyKey });

describe('retries', () => {
  it('retries a GET answered 503, and returns what the second try got', async () => {
    script = [503, 200];
    const { data, error, response } = await get();
    expect(response.status).toBe(200);
    expect(error).toBeUndefined();
    expect(data?.data.available).toBe(5);
    expect(seen.map((s) => s.method)).toEqual(['GET', 'GET']);
  });

  it('does not retry a POST without an Idempotency-Key: the 503 comes back as the typed error body', async () => {
    script = [503, 200];
    const { data, error, response } = await create();
    expect(response.status).toBe(503);
    expect(data).toBeUndefined();
    expect(error?.error).toBe('service_unavailable');
    expect(seen).toHaveLength(1);
  });

  it('retries a POST with an idempotencyKey, sending the same key and body every time', async () => {
    script = [503, 503, 200];
    const { data, response } = await create('create-apple-1');
    expect(response.status).toBe(201);
    expect(data?.data.id).toBe(ID);
    expect(seen).toHaveLength(3);
    expect(new Set(seen.map((s) => `${s.method} ${s.key} ${s.body}`))).toEqual(
      new Set(['POST create-apple-1 {"name":"apple","qty":5}']),
    );
  });

  it('gives up after `attempts` tries and returns the last 503', async () => {
    script = [503, 503, 503, 503];
    const { error, response } = await get();
    expect(response.status).toBe(503);
    expect(error?.error).toBe('service_unavailable');
    expect(seen).toHaveLength(3);
  });

  it('retries a dropped connection of a GET or a keyed write, never of an unkeyed write', async () => {
    script = ['drop', 200];
    expect((await get()).response.status).toBe(200);
    expect(seen).toHaveLength(2);

    seen = [];
    script = ['drop', 200];
    expect((await create('create-apple-2')).response.status).toBe(201);
    expect(seen).toHaveLength(2);

    seen = [];
    script = ['drop', 200];
    await expect(create()).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    expect(seen).toHaveLength(1);
  });

  it('retries nothing with retry: false', async () => {
    const once = createInventoryClient({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      retry: false,
    });
    script = [503, 200];
    expect((await once.GET('/api/items/{id}', { params: { path: { id: ID } } })).response.status).toBe(503);
    expect(seen).toHaveLength(1);
  });
});

describe('backoff', () => {
  it('doubles the ceiling of a random wait per retry, up to maxDelayMs, and honours Retry-After', () => {
    const top = () => 1;
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffMs(n, DEFAULT_RETRY, null, top))).toEqual([
      200, 400, 800, 1600, 3200, 5000, 5000, 5000,
    ]);
    expect(backoffMs(3, DEFAULT_RETRY, null, () => 0.25)).toBe(200);
    expect(backoffMs(1, DEFAULT_RETRY, '2', top)).toBe(2000);
    expect(backoffMs(1, DEFAULT_RETRY, '3600', top)).toBe(5000);
    expect(backoffMs(1, DEFAULT_RETRY, 'Wed, 21 Oct 2026 07:28:00 GMT', top)).toBe(200);
  });
});
