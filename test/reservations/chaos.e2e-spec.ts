import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { newTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

const run = promisify(execFile);

describe('npm run chaos', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ ENABLE_CRON: 'false' });
  });
  afterAll(() => t.close());

  it('50 parallel reservations on stock 5: exactly 5 succeed, nothing oversold', async () => {
    const tenant = await newTenant(t);
    const { stdout } = await run('node', ['bench/chaos.mjs', '--url', t.url, '--key', tenant.key]);
    expect(stdout).toContain('Succeeded: 5\n');
    expect(stdout).toContain('Failed: 45\n');
    expect(stdout).toContain('Final available: 0\n');
    expect(stdout).toContain('Final reserved: 5\n');
    // the item's received movement and one reserved movement per hold
    expect(stdout).toContain('Ledger: 6 movements, they explain every unit\n');
  });

  it('exits non-zero when the figures are wrong (here: a key that cannot create the item)', async () => {
    await expect(run('node', ['bench/chaos.mjs', '--url', t.url, '--key', 'inv_not-a-key'])).rejects.toMatchObject({
      code: 2,
    });
  });
});
