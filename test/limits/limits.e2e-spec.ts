import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { expectUnchanged, type ItemData, newItem, newTenant, sendRaw, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const BODY_LIMIT_BYTES = 100 * 1024;

/** A JSON object text of exactly `bytes` bytes: {"name":"x","description":"aaa…"}. */
const bodyOf = (bytes: number) => {
  const head = '{"name":"limit-probe","description":"';
  const tail = '"}';
  return `${head}${'a'.repeat(bytes - head.length - tail.length)}${tail}`;
};

describe('size limits', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let item: ItemData;

  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
    tenant = await newTenant(t);
    item = await newItem(t, tenant, { qty: 5 });
  });
  afterAll(() => t.close());

  it('a body of 100 kB + 1 byte is a JSON 413 payload_too_large, on every route, and changes nothing', async () => {
    const text = bodyOf(BODY_LIMIT_BYTES + 1);
    expect(Buffer.byteLength(text)).toBe(BODY_LIMIT_BYTES + 1);
    for (const send of [
      () => sendRaw(t.http.post('/api/items').set(tenant.auth), text),
      () => sendRaw(t.http.patch(`/api/items/${item.id}/qty`).set(tenant.auth), text),
      () => sendRaw(t.http.post('/api/reservations').set(tenant.auth), text),
      () => sendRaw(t.http.post('/api/orders').set(tenant.auth), text),
      () => sendRaw(t.http.post('/api/nope').set(tenant.auth), text),
    ]) {
      await expectUnchanged(t, tenant, send, 413, 'payload_too_large');
    }
  });

  it('a body of exactly 100 kB is parsed (and then judged by validation)', async () => {
    const res = await expectUnchanged(
      t,
      tenant,
      () => sendRaw(t.http.post('/api/items').set(tenant.auth), bodyOf(BODY_LIMIT_BYTES)),
      400,
      'validation_failed',
    );
    expect(res.body.details).toEqual([expect.objectContaining({ field: 'description' })]);
  });

  it('headers over 16 kB, which Node refuses before Express, still get a JSON error with a request id', async () => {
    const res = await t.http.get('/api/items').set(tenant.auth).set('X-Padding', 'x'.repeat(20_000));
    expect(res.status).toBe(431);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({
      request_id: res.headers['x-request-id'],
      error: 'request_header_fields_too_large',
      message: expect.any(String),
    });
  });

  it('at most 100 lines per reservation or order', async () => {
    const lines = Array.from({ length: 101 }, () => ({ item_id: item.id, quantity: 1, unit_price: 1 }));
    await expectUnchanged(
      t,
      tenant,
      () => t.http.post('/api/orders').set(tenant.auth).send({ currency: 'EUR', lines }),
      400,
      'validation_failed',
    );
    const holdLines = lines.map(({ item_id, quantity }) => ({ item_id, quantity }));
    await expectUnchanged(
      t,
      tenant,
      () => t.http.post('/api/reservations').set(tenant.auth).send({ lines: holdLines }),
      400,
      'validation_failed',
    );
    const big = await newItem(t, tenant, { qty: 100 });
    const hundred = Array.from({ length: 100 }, () => ({ item_id: big.id, quantity: 1 }));
    const ok = await t.http.post('/api/reservations').set(tenant.auth).send({ lines: hundred });
    expect(ok.status).toBe(201);
    expect(ok.body.data.lines).toEqual([expect.objectContaining({ item_id: big.id, quantity: 100 })]);
  });

  it.each(['/api/items', '/api/warehouses', '/api/reservations', '/api/orders', '/api/audit-logs'])(
    '%s: page size 1..100',
    async (path) => {
      await t.http.get(path).set(tenant.auth).query({ limit: 100 }).expect(200);
      for (const limit of ['101', '0', '1000000000000', '-1']) {
        await expectUnchanged(
          t,
          tenant,
          () => t.http.get(path).set(tenant.auth).query({ limit }),
          400,
          'validation_failed',
        );
      }
    },
  );
});
