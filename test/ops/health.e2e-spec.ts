import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { expectError } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { onDatabase, withDatabase } from '../support/util.js';
import { TcpProxy } from './support/tcp-proxy.js';

const databaseUrl = () => process.env.DATABASE_URL!;

describe('health probes', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());

  it('GET /health/live answers 200 JSON without an API key', async () => {
    const res = await t.http.get('/health/live').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toMatch(/no-store/);
    expect(res.body).toEqual({
      request_id: res.headers['x-request-id'],
      data: { status: 'ok', info: {}, error: {}, details: {} },
    });
  });

  it('GET /health/ready answers 200 when the database answers and no migration is pending', async () => {
    const res = await t.http.get('/health/ready').expect(200);
    expect(res.body.data).toMatchObject({
      status: 'ok',
      info: { database: { status: 'up' }, migrations: { status: 'up', pending: false } },
      error: {},
    });
  });

  it('lives outside /api and is not subject to API keys', async () => {
    expectError(await t.http.get('/api/health/live'), 404, 'not_found');
    expectError(await t.http.get('/api/health/ready'), 404, 'not_found');
    await t.http.get('/health/ready').set('Authorization', 'Bearer not-a-key').expect(200);
  });
});

describe('readiness when the database goes away', () => {
  let proxy: TcpProxy;
  let app: TestApp;

  beforeAll(async () => {
    const target = new URL(databaseUrl());
    proxy = await TcpProxy.start({ host: target.hostname, port: Number(target.port || 5432) });
    const viaProxy = new URL(databaseUrl());
    viaProxy.host = `127.0.0.1:${proxy.port}`;
    app = await startTestApp({ DATABASE_URL: viaProxy.toString() });
  });
  afterAll(async () => {
    await proxy.open();
    await app.close();
    await proxy.close();
  });

  it('is 503 service_unavailable while the database is unreachable, live and metrics stay up, and it recovers', async () => {
    await app.http.get('/health/ready').expect(200);

    await proxy.cut();
    const down = await app.http.get('/health/ready');
    expectError(down, 503, 'service_unavailable');
    expect(down.body.details).toEqual(expect.arrayContaining([{ check: 'database', status: 'down' }]));
    // The reason (host, port, driver message) stays in the log, out of a public body.
    expect(JSON.stringify(down.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|5432/);
    await app.http.get('/health/live').expect(200);
    // Scrapes keep working; what needs the database reads NaN, not a reassuring 0.
    const metrics = await app.http.get('/metrics').expect(200);
    expect(metrics.text).toMatch(/^inventory_expired_holds_oldest_age_seconds Nan$/m);

    await proxy.open();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await app.http.get('/health/ready')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(200);
  });
});

describe('readiness with a pending migration', () => {
  const name = `inventory_ops_${randomBytes(4).toString('hex')}`;
  let admin: pg.Client;
  let app: TestApp | undefined;

  beforeAll(async () => {
    admin = new pg.Client({ connectionString: databaseUrl() });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    app = await startTestApp(onDatabase(name)); // migrates the scratch database on start
  });
  afterAll(async () => {
    await app?.close();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  it('is 503 naming the migrations check while a migration is not applied', async () => {
    await app!.http.get('/health/ready').expect(200);
    const scratch = new pg.Client({ connectionString: withDatabase(databaseUrl(), name) });
    await scratch.connect();
    try {
      const { rows } = await scratch.query(
        'DELETE FROM typeorm_migrations WHERE id = (SELECT max(id) FROM typeorm_migrations) RETURNING *',
      );
      const res = await app!.http.get('/health/ready');
      expectError(res, 503, 'service_unavailable');
      expect(res.body.details).toEqual([{ check: 'migrations', status: 'down' }]);
      await scratch.query('INSERT INTO typeorm_migrations (id, timestamp, name) VALUES ($1, $2, $3)', [
        rows[0].id,
        rows[0].timestamp,
        rows[0].name,
      ]);
      await app!.http.get('/health/ready').expect(200);
    } finally {
      await scratch.end();
    }
  });
});
