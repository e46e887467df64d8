import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { newTenant, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';

// Debian's chromium, never a browser Playwright downloads (playwright-core has no
// download step). Without it this suite is skipped, saying so in one line, so that
// `npm test` passes on a machine with only Node and npm; REQUIRE_BROWSER=1 (CI)
// makes a missing chromium a failure instead.
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = resolve(import.meta.dirname, '../artifacts');
const runs = existsSync(CHROMIUM) || process.env.REQUIRE_BROWSER === '1';
if (!runs)
  process.stderr.write(
    `test/browser skipped: no ${CHROMIUM} (apt-get install -y chromium; REQUIRE_BROWSER=1 makes this a failure)\n`,
  );

/** Authorize with `key`, then "Try it out" on POST /api/items with `body` and Execute. */
async function createItemThroughSwaggerUi(page: Page, url: string, key: string, body: object): Promise<void> {
  await page.goto(`${url}/docs`);
  await page.locator('.swagger-ui .info .title').getByText('inventory-service').waitFor();

  await page.locator('button.authorize').first().click();
  const modal = page.locator('.modal-ux');
  // The API-key scheme (`bearer`); the dialog also has one for METRICS_TOKEN.
  const apiKey = modal.locator('form').filter({ hasText: 'bearer (http, Bearer)' });
  await apiKey.locator('input[type="text"], input[type="password"]').first().fill(key);
  await apiKey.locator('button.modal-btn.auth.authorize').click();
  await modal.locator('button.btn-done').first().click();

  const operation = page.locator('#operations-items-items_create');
  await operation.locator('.opblock-summary').click();
  await operation.getByRole('button', { name: 'Try it out' }).click();
  await operation.locator('textarea.body-param__text').fill(JSON.stringify(body));
  await operation.getByRole('button', { name: 'Execute' }).click();
  await operation.locator('.live-responses-table .response .response-col_status').first().waitFor();
}

(runs ? describe : describe.skip)('Swagger UI in a real browser', () => {
  let t: TestApp;
  let tenant: TestTenant;
  let browser: Browser;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`REQUIRE_BROWSER=1 and ${CHROMIUM} not found: install it with \`apt-get install -y chromium\``);
    t = await startTestApp();
    tenant = await newTenant(t);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('authorizes with a tenant API key and creates an item with "Try it out" (201), under the CSP', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1600 } });
    page.setDefaultTimeout(15_000);
    const problems: string[] = [];
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    page.on('pageerror', (e) => problems.push(e.message));
    const sku = `UI-${randomUUID().slice(0, 8).toUpperCase()}`;

    try {
      await createItemThroughSwaggerUi(page, t.url, tenant.key, { name: `browser-${sku}`, sku, qty: 3 });
    } finally {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: resolve(ARTIFACTS, 'swagger-try-it-out.png'), fullPage: true });
    }

    const response = page.locator('#operations-items-items_create .live-responses-table .response').first();
    expect((await response.locator('.response-col_status').innerText()).trim()).toBe('201');
    expect(await response.locator('.response-col_description').innerText()).toContain(sku);
    const res = await t.http.get('/api/items').query({ sku }).set(tenant.auth).expect(200);
    expect(res.body.data).toEqual([expect.objectContaining({ sku, name: `browser-${sku}`, qty: 3, available: 3 })]);
    // Nothing refused by the Content-Security-Policy, no script error.
    expect(problems).toEqual([]);
  });
});
