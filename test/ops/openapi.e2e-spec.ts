import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { ROOT, run } from './support/processes.js';

type Json = Record<string, any>;
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

const committed = (): Json => JSON.parse(readFileSync(resolve(ROOT, 'openapi.json'), 'utf8'));
const operations = (doc: Json) =>
  Object.entries(doc.paths as Json).flatMap(([path, item]) =>
    METHODS.filter((m) => item[m]).map((m) => ({
      path,
      method: m,
      op: item[m] as Json,
      key: `${m.toUpperCase()} ${path}`,
    })),
  );

describe('openapi.json', () => {
  it('is what `npm run openapi` generates from the current code (run it and commit the file when this fails)', async () => {
    // The compiled code, as `npm test` builds it: with the @nestjs/swagger CLI plugin, like production.
    const out = await run(
      ['dist/src/openapi/generate.js', '--stdout'],
      { PATH: process.env.PATH },
      { timeoutMs: 60_000 },
    );
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(JSON.parse(out.stdout)).toEqual(committed());
  });

  describe('documents every operation', () => {
    const doc = committed();
    const ops = operations(doc);

    it('has the routes of every feature', () => {
      expect(ops.map((o) => o.key)).toEqual(
        expect.arrayContaining([
          'POST /api/items',
          'PATCH /api/items/{id}/qty',
          'POST /api/reservations',
          'POST /api/orders/{id}/transitions',
          'GET /api/audit-logs',
          'POST /api/admin/tenants',
          'GET /health/live',
          'GET /health/ready',
          'GET /metrics',
        ]),
      );
    });

    it.each(ops.map((o) => [o.key, o] as const))(
      '%s: summary, success schema, errors with codes and examples',
      (_key, { path, op }) => {
        expect(op.summary).toEqual(expect.any(String));
        expect(op.operationId).toMatch(/^[a-z][A-Za-z]*_[a-zA-Z]+$/);
        const statuses = Object.keys(op.responses);
        const success = statuses.filter((s) => s.startsWith('2'));
        expect(success.length).toBeGreaterThan(0);
        for (const status of success) {
          if (status !== '204') expect(Object.values(op.responses[status].content ?? {})[0]).toHaveProperty('schema');
        }
        const errors = statuses.filter((s) => /^[45]/.test(s));
        expect(errors.length).toBeGreaterThan(0);
        for (const status of errors) {
          const content = op.responses[status].content['application/json'];
          expect(content.schema).toEqual({ $ref: '#/components/schemas/ErrorResponse' });
          const examples = Object.values(content.examples as Json) as Json[];
          expect(examples.length).toBeGreaterThan(0);
          for (const e of examples)
            expect(Object.keys(e.value)).toEqual(expect.arrayContaining(['request_id', 'error', 'message']));
          expect(op.responses[status].description).toMatch(/^Error codes: `[a-z_]+`/);
        }
        if (path.startsWith('/api/')) {
          expect(op.security).toEqual([{ bearer: [] }]);
          expect(statuses).toContain('401');
        }
        if (op.requestBody) expect(statuses).toEqual(expect.arrayContaining(['400', '413']));
      },
    );

    it('describes DTO fields from their comments, with JSON-integer types (the CLI plugin ran)', () => {
      const item = doc.components.schemas.CreateItemDto;
      expect(item.required).toEqual(['name']);
      expect(item.properties.name).toMatchObject({
        type: 'string',
        description: expect.stringContaining('Trimmed'),
        example: 'apple',
        maxLength: 255,
      });
      expect(item.properties.qty).toMatchObject({ type: 'integer', minimum: 0 });
      expect(doc.components.schemas.ReservationLineDto.properties.item_id).toMatchObject({
        type: 'string',
        format: 'uuid',
      });
      expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    });
  });
});

describe('/docs-json and /docs', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('serves the document with the operations of openapi.json', async () => {
    const res = await t.http.get('/docs-json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    // Tests run the TypeScript sources without the CLI plugin, so only the operations are compared.
    expect(
      operations(res.body)
        .map((o) => o.key)
        .sort(),
    ).toEqual(
      operations(committed())
        .map((o) => o.key)
        .sort(),
    );
  });

  it('serves Swagger UI', async () => {
    const res = await t.http.get('/docs').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.text).toContain('swagger-ui-bundle.js');
  });
});
