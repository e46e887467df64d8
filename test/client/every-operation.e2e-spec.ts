import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { callEveryOperation } from '../../client/examples/every-operation.js';
import { createInventoryClient } from '../../client/src/index.js';
import { newTenant, type TestTenant } from '../support/fixtures.js';
import { ADMIN_TOKEN, startTestApp, type TestApp } from '../support/test-app.js';
import { freePort } from '../support/util.js';
import { RELAY_ENV, startRelay } from '../support/webhooks.js';
import { Conformance, operationIds } from './support/conformance.js';

// client/examples/every-operation.ts is what `.ci/run` type-checks so that a field
// missing from openapi.json breaks the build. Here: it must name every operation
// (a new route fails this test until the program calls it), and, run against the
// live service, every operation must answer as the document says.

const PROGRAM = resolve(import.meta.dirname, '../../client/examples/every-operation.ts');

/** `GET /api/items/{id}` for each `.GET('/api/items/{id}'` of the program's source. */
function calledInProgram(): Set<string> {
  const source = readFileSync(PROGRAM, 'utf8');
  return new Set([...source.matchAll(/\.(GET|PUT|POST|DELETE|PATCH)\(\s*'([^']+)'/g)].map(([, m, p]) => `${m} ${p}`));
}

describe('client/examples/every-operation.ts', () => {
  it('calls every operation of openapi.json, and only those', () => {
    const ids = operationIds();
    const called = calledInProgram();
    expect(ids.size).toBeGreaterThan(40);
    const notCalled = [...ids].filter(([key]) => !called.has(key)).map(([key, id]) => `${id}: ${key}`);
    expect(notCalled).toEqual([]);
    expect([...called].filter((key) => !ids.has(key))).toEqual([]);
  });

  describe('run against the service', () => {
    let t: TestApp;
    let tenant: TestTenant;

    beforeAll(async () => {
      // The relay makes the delivery the program retries; it sends to a port where nothing listens.
      t = await startTestApp(RELAY_ENV);
      tenant = await newTenant(t);
      startRelay(t);
    });
    afterAll(() => t.close());

    it('gets from every operation a status it documents, with a body its schema describes', async () => {
      const conformance = new Conformance();
      const client = (apiKey?: string) => {
        const api = createInventoryClient({ baseUrl: t.url, apiKey, retry: false });
        api.use(conformance.middleware);
        return api;
      };
      const clients = { admin: client(ADMIN_TOKEN), tenant: client(tenant.key), anonymous: client() };
      await callEveryOperation(clients, `http://127.0.0.1:${await freePort()}/hooks/every-operation`);

      expect(conformance.problems).toEqual([]);
      expect([...operationIds().values()].filter((id) => !conformance.answered.has(id))).toEqual([]);
    });
  });
});
