import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Test } from 'supertest';
import { expectUnchanged, type ItemData, newItem, newTenant, sendRaw, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

/** Values an integer field must refuse: no coercion, no fractions, nothing out of range. */
const NOT_AN_INTEGER: [string, unknown][] = [
  ['true', true],
  ['false', false],
  ['"1"', '1'],
  ['1.5', 1.5],
  ['null', null],
  ['1e20', 1e20],
  ['[]', []],
  ['{}', {}],
  ['[1]', [1]],
];

const deepArray = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

/** Bodies of every shape but the right one, with the error each deserves. `base` is a valid body. */
function hostileBodies(base: Record<string, unknown>): [string, (req: Test) => Test, number, string][] {
  const json = JSON.stringify(base).slice(1, -1);
  return [
    ['no body at all', (r) => r, 400, 'validation_failed'],
    ['an empty JSON body', (r) => sendRaw(r, ''), 400, 'validation_failed'],
    ['malformed JSON', (r) => sendRaw(r, `{${json},`), 400, 'invalid_json'],
    ['JSON with a trailing comma', (r) => sendRaw(r, `{${json},}`), 400, 'invalid_json'],
    ['a top-level array', (r) => r.send([base]), 400, 'validation_failed'],
    ['a top-level string', (r) => sendRaw(r, '"5"'), 400, 'invalid_json'],
    ['a top-level null', (r) => sendRaw(r, 'null'), 400, 'invalid_json'],
    ['an extra field', (r) => r.send({ ...base, admin: true }), 400, 'validation_failed'],
    ['a __proto__ key', (r) => sendRaw(r, `{${json},"__proto__":{"polluted":true}}`), 400, 'validation_failed'],
    [
      'a nested __proto__ key',
      (r) => sendRaw(r, `{${json},"x":{"__proto__":{"polluted":true}}}`),
      400,
      'validation_failed',
    ],
    [
      'a constructor.prototype key',
      (r) => sendRaw(r, `{${json},"constructor":{"prototype":{"polluted":true}}}`),
      400,
      'validation_failed',
    ],
    ['a form-encoded body', (r) => r.type('form').send('delta=1&name=x'), 400, 'validation_failed'],
    ['JSON sent as text/plain', (r) => r.type('text/plain').send(JSON.stringify(base)), 400, 'validation_failed'],
    ['a 1 MB body', (r) => r.send({ ...base, description: 'x'.repeat(1024 * 1024) }), 413, 'payload_too_large'],
    [
      'an unsupported charset',
      (r) => r.set('Content-Type', 'application/json; charset=iso-8859-1').send(JSON.stringify(base)),
      415,
      'unsupported_media_type',
    ],
    [
      'deeply nested arrays in an extra field',
      (r) => sendRaw(r, `{${json},"x":${deepArray(20000)}}`),
      400,
      'validation_failed',
    ],
  ];
}

describe('hostile input', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let item: ItemData;

  beforeAll(async () => {
    t = await startTestApp();
    tenant = await newTenant(t);
    item = await newItem(t, tenant, { qty: 5 });
  });
  afterAll(() => t.close());

  const patchQty = () => t.http.patch(`/api/items/${item.id}/qty`).set(tenant.auth);
  const postItem = () => t.http.post('/api/items').set(tenant.auth);

  describe('PATCH /api/items/:id/qty', () => {
    it.each(NOT_AN_INTEGER)('refuses delta %s', async (_label, delta) => {
      await expectUnchanged(t, tenant, () => patchQty().send({ delta }), 400, 'validation_failed');
    });

    it.each(hostileBodies({ delta: 1 }))('refuses %s', async (_label, build, status, code) => {
      await expectUnchanged(t, tenant, () => build(patchQty()), status, code);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('POST /api/items', () => {
    it.each(NOT_AN_INTEGER)('refuses qty %s', async (_label, qty) => {
      await expectUnchanged(t, tenant, () => postItem().send({ name: 'hostile-qty', qty }), 400, 'validation_failed');
    });

    it.each(hostileBodies({ name: 'hostile-body' }))('refuses %s', async (_label, build, status, code) => {
      await expectUnchanged(t, tenant, () => build(postItem()), status, code);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  });

  describe('routes and ids', () => {
    it.each([
      ['GET /api/items/not-a-uuid', () => t.http.get('/api/items/not-a-uuid').set(tenant.auth)],
      [
        'PATCH /api/items/not-a-uuid/qty',
        () => t.http.patch('/api/items/not-a-uuid/qty').set(tenant.auth).send({ delta: 1 }),
      ],
      [
        'PATCH with a path-traversal id',
        () => t.http.patch('/api/items/..%2f..%2fadmin/qty').set(tenant.auth).send({ delta: 1 }),
      ],
      ['GET /api/nope', () => t.http.get('/api/nope').set(tenant.auth)],
      ['GET /nope', () => t.http.get('/nope')],
      ['POST /api/nope with a body', () => t.http.post('/api/nope').set(tenant.auth).send({ a: 1 })],
      [
        'PUT /api/items/:id (wrong method)',
        () => t.http.put(`/api/items/${item.id}`).set(tenant.auth).send({ name: 'x' }),
      ],
      [
        'POST /api/items/:id (wrong method)',
        () => t.http.post(`/api/items/${item.id}`).set(tenant.auth).send({ name: 'x' }),
      ],
      ['DELETE /api/items (no id)', () => t.http.delete('/api/items').set(tenant.auth)],
      ['GET /api/items/:id/qty (wrong method)', () => t.http.get(`/api/items/${item.id}/qty`).set(tenant.auth)],
    ])('%s is a JSON 404', async (_label, send) => {
      await expectUnchanged(t, tenant, send, 404, 'not_found');
    });
  });
});
