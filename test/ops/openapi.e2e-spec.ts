import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
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

  it('gives client/src/schema.ts, as the client workspace generates it (`npm run openapi` does, commit it)', async () => {
    const client = resolve(ROOT, 'client');
    const pkg = JSON.parse(readFileSync(resolve(client, 'package.json'), 'utf8'));
    // The flags of the `generate` script itself, so that this test cannot drift from it.
    const [bin, ...args] = (pkg.scripts.generate as string).split(' ');
    expect(bin).toBe('openapi-typescript');
    const manifest = createRequire(resolve(client, 'package.json')).resolve('openapi-typescript/package.json');
    const cli = resolve(manifest, '..', JSON.parse(readFileSync(manifest, 'utf8')).bin['openapi-typescript']);
    const out = await run([cli, ...args, '--check'], { PATH: process.env.PATH }, { cwd: client, timeoutMs: 60_000 });
    expect({ code: out.code, stderr: out.stderr }).toEqual({ code: 0, stderr: '' });
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
        if (op.parameters?.some((p: Json) => p.$ref === '#/components/parameters/IdempotencyKey')) {
          expect(op.responses['409']?.description).toContain('`idempotency_key_in_use`');
          expect(op.responses['422']?.description).toContain('`idempotency_key_reused`');
        }
      },
    );

    it('says of every request schema, nested ones included, that unknown fields are rejected', () => {
      const refs = (node: unknown): string[] =>
        typeof node !== 'object' || node === null
          ? []
          : Object.entries(node).flatMap(([k, v]) => (k === '$ref' ? [v as string] : refs(v)));
      const seen = new Set<string>();
      const pending = ops.flatMap(({ op }) => refs(op.requestBody ?? {}));
      while (pending.length > 0) {
        const ref = pending.pop()!;
        if (seen.has(ref)) continue;
        seen.add(ref);
        pending.push(...refs(doc.components.schemas[ref.split('/').pop()!]));
      }
      expect(seen.size).toBeGreaterThan(20);
      for (const ref of seen) {
        expect([ref, doc.components.schemas[ref.split('/').pop()!].additionalProperties]).toEqual([ref, false]);
      }
    });

    it('takes an Idempotency-Key on the writes of tenant routes only, and ids as UUIDs', () => {
      const keyed = ops.filter(({ op }) =>
        op.parameters?.some((p: Json) => p.$ref === '#/components/parameters/IdempotencyKey'),
      );
      expect(keyed.map((o) => o.key)).toEqual(
        expect.arrayContaining(['POST /api/items', 'PATCH /api/items/{id}/qty', 'DELETE /api/items/{id}']),
      );
      for (const { key, method, path } of keyed) {
        expect([key, method]).not.toEqual([key, 'get']);
        expect([key, path.startsWith('/api/admin')]).toEqual([key, false]);
      }
      expect(doc.components.parameters.IdempotencyKey).toMatchObject({ name: 'Idempotency-Key', in: 'header' });
      for (const { key, op } of ops) {
        for (const p of (op.parameters ?? []) as Json[]) {
          if (p.in === 'path' && p.name === 'id') expect([key, p.schema.format]).toEqual([key, 'uuid']);
        }
      }
    });

    it('describes the fields of every object schema (a class without @ApiProperty or plugin comments has none)', () => {
      const empty = Object.entries(doc.components.schemas as Json)
        .filter(([, schema]) => schema.type === 'object' && Object.keys(schema.properties ?? {}).length === 0)
        .map(([name]) => name);
      expect(empty).toEqual([]);
    });

    it('needs no credentials on the probes, and METRICS_TOKEN (or nothing) on /metrics', () => {
      expect(doc.paths['/health/live'].get.security).toEqual([]);
      expect(doc.paths['/health/ready'].get.security).toEqual([]);
      expect(doc.paths['/metrics'].get.security).toEqual(expect.arrayContaining([{}, { metrics_token: [] }]));
    });

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
      // The plugin once dropped delta without a word (@Min(-MAX_DELTA)); generation now refuses to.
      expect(doc.components.schemas.AdjustQtyDto.required).toEqual(['delta']);
      expect(doc.components.schemas.AdjustQtyDto.properties.delta).toMatchObject({
        type: 'integer',
        minimum: -1_000_000_000,
        maximum: 1_000_000_000,
      });
      expect(doc.components.schemas.CreateOrderDto.properties.lines).toMatchObject({ minItems: 1, maxItems: 100 });
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
