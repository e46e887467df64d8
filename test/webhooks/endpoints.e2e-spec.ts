import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { Webhook } from 'standardwebhooks';
import { expectError, listAudit, newItem, newTenant, type TestTenant } from '../support/fixtures.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { sleep } from '../support/util.js';
import { Receiver } from '../support/webhook-receiver.js';
import { createWebhook, newWebhook, RELAY_ENV, startRelay } from '../support/webhooks.js';

let t: TestApp;
let strict: TestApp;
/** Undone after each test. */
const afterThis: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const undo of afterThis.splice(0)) await undo();
});
let tenant: TestTenant;
let other: TestTenant;
let receiver: Receiver;
beforeAll(async () => {
  t = await startTestApp(RELAY_ENV);
  // The production default: private networks refused.
  strict = await startTestApp({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'false' });
  tenant = await newTenant(t);
  other = await newTenant(t);
  receiver = await Receiver.start();
});
afterAll(async () => {
  await t.close();
  await strict.close();
  await receiver.down();
});

const webhookRows = (tenantId: string) =>
  t.db.query('SELECT * FROM webhook_endpoint WHERE tenant_id = $1 ORDER BY id', [tenantId]);

describe('webhook endpoints', () => {
  it('create shows the secret once; reads, lists, updates and deletes are audited and never show it', async () => {
    const created = await createWebhook(t, tenant, {
      url: receiver.url('crud'),
      event_types: ['stock.changed'],
      description: ' storefront ',
    });
    expect(created.status).toBe(201);
    const { secret, ...view } = created.body.data;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(view).toMatchObject({
      url: receiver.url('crud'),
      event_types: ['stock.changed'],
      description: 'storefront',
      active: true,
    });
    const got = await t.http.get(`/api/webhooks/${view.id}`).set(tenant.auth).expect(200);
    expect(got.body.data).toEqual(view);
    const list = await t.http.get('/api/webhooks').set(tenant.auth).expect(200);
    expect(list.body.data).toEqual([view]);
    // At rest: sealed, not the secret nor its key bytes.
    const [row] = await webhookRows(tenant.id);
    expect(row.secret).not.toContain(secret.slice(6, 30));
    expect(JSON.stringify(row)).not.toContain(secret.slice(6, 30));

    const patched = await t.http
      .patch(`/api/webhooks/${view.id}`)
      .set(tenant.auth)
      .send({ event_types: null, description: null, active: false })
      .expect(200);
    expect(patched.body.data).toMatchObject({ event_types: null, description: null, active: false });
    await t.http.delete(`/api/webhooks/${view.id}`).set(tenant.auth).expect(204);
    expectError(await t.http.get(`/api/webhooks/${view.id}`).set(tenant.auth), 404, 'not_found');

    const audit = await listAudit(t, tenant, { object_id: view.id });
    expect(audit.map((a) => a.action).reverse()).toEqual(['webhook.created', 'webhook.updated', 'webhook.deleted']);
    expect(JSON.stringify(audit)).not.toContain(secret.slice(6));
    expect(audit[1]).toMatchObject({
      old_value: { event_types: ['stock.changed'], description: 'storefront', active: true },
      new_value: { event_types: null, description: null, active: false },
    });
  });

  it('Idempotency-Key replays the creation (the same endpoint and secret), makes one', async () => {
    const body = { url: receiver.url('idem') };
    const send = () =>
      t.http.post('/api/webhooks').set(tenant.auth).set('Idempotency-Key', `wh-${other.id}`).send(body);
    const first = await send().expect(201);
    const again = await send().expect(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.data).toEqual(first.body.data);
    expect((await webhookRows(tenant.id)).filter((r: any) => r.url === body.url)).toHaveLength(1);
  });

  it("another tenant's endpoints answer 404 on every route, and change nothing", async () => {
    const hook = await newWebhook(t, tenant, receiver, 'mine');
    const before = await webhookRows(tenant.id);
    const base = `/api/webhooks/${hook.id}`;
    const delivery = '00000000-0000-4000-8000-000000000000';
    for (const req of [
      t.http.get(base),
      t.http.patch(base).send({ active: false }),
      t.http.delete(base),
      t.http.post(`${base}/rotate-secret`),
      t.http.get(`${base}/deliveries`),
      t.http.post(`${base}/deliveries/${delivery}/retry`),
      t.http.post(`${base}/replay`).send({ from: '2024-01-01T00:00:00Z' }),
    ]) {
      expectError(await req.set(other.auth), 404, 'not_found');
    }
    expect((await t.http.get('/api/webhooks').set(other.auth).expect(200)).body.data).toEqual([]);
    expect(await webhookRows(tenant.id)).toEqual(before);
  });

  it('hostile input is a JSON 4xx and creates nothing', async () => {
    const hostile: [unknown, number, string][] = [
      [{ url: 'ftp://example.com/x' }, 400, 'validation_failed'],
      [{ url: 'javascript:alert(1)' }, 400, 'validation_failed'],
      [{ url: 'not a url' }, 400, 'validation_failed'],
      [{ url: 'https://user:pw@example.com/' }, 400, 'validation_failed'],
      [{ url: `https://example.com/${'x'.repeat(2100)}` }, 400, 'validation_failed'],
      [{ url: 42 }, 400, 'validation_failed'],
      [{}, 400, 'validation_failed'],
      [
        { url: receiver.url('h'), event_types: Array.from({ length: 5000 }, () => 'stock.changed') },
        400,
        'validation_failed',
      ],
      [{ url: receiver.url('h'), event_types: ['stock.changed', 'stock.changed'] }, 400, 'validation_failed'],
      [{ url: receiver.url('h'), event_types: ['nope.nope'] }, 400, 'validation_failed'],
      [{ url: receiver.url('h'), event_types: [] }, 400, 'validation_failed'],
      [{ url: receiver.url('h'), event_types: 'stock.changed' }, 400, 'validation_failed'],
      [{ url: receiver.url('h'), description: 'x'.repeat(501) }, 400, 'validation_failed'],
      [{ url: receiver.url('h'), secret: 'whsec_mine' }, 400, 'validation_failed'],
      [{ url: receiver.url('h'), event_types: ['x'.repeat(120_000)] }, 413, 'payload_too_large'],
    ];
    const before = await webhookRows(other.id);
    for (const [body, status, code] of hostile) {
      expectError(await createWebhook(t, other, body), status, code);
    }
    expectError(await t.http.get('/api/webhooks/not-a-uuid').set(other.auth), 404, 'not_found');
    expectError(await t.http.get('/api/webhooks').query({ cursor: 'forged' }).set(other.auth), 400, 'invalid_cursor');
    expectError(
      await t.http
        .patch(`/api/webhooks/${(await newWebhook(t, other, receiver, 'p')).id}`)
        .set(other.auth)
        .send({}),
      400,
      'validation_failed',
    );
    expect((await webhookRows(other.id)).length).toBe(before.length + 1);
  });

  it('refuses loopback, private, link-local, CGNAT and metadata addresses unless allowed', async () => {
    for (const url of [
      'http://127.0.0.1:9/x',
      'http://localhost/x',
      'http://10.1.2.3/',
      'http://172.16.0.1/',
      'http://192.168.0.10/',
      'http://169.254.169.254/latest/meta-data',
      'http://100.64.0.1/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[fd00:ec2::254]/',
      'http://0.0.0.0/',
    ]) {
      const res = await strict.http.post('/api/webhooks').set(tenant.auth).send({ url });
      expectError(res, 400, 'url_not_allowed');
      expect(res.body.details).toEqual([{ field: 'url', message: expect.stringMatching(/reserved address/) }]);
    }
    const hook = await newWebhook(t, tenant, receiver, 'ok');
    expectError(
      await strict.http.patch(`/api/webhooks/${hook.id}`).set(tenant.auth).send({ url: 'http://10.0.0.1/' }),
      400,
      'url_not_allowed',
    );
  });

  it('checks the address again at delivery: a relay that may not reach loopback sends nothing there', async () => {
    const tenant3 = await newTenant(t);
    const hook = await newWebhook(t, tenant3, receiver, 'guarded', { event_types: ['item.created'] });
    // It relays every tenant of this file: stopped after this test, or it would refuse (and
    // then pause) the loopback endpoints of the tests after it too.
    const relay = startRelay(strict);
    afterThis.push(() => relay.stop());
    await newItem(t, tenant3);
    let attempts: any[] = [];
    for (let i = 0; i < 200 && attempts.length === 0; i++) {
      await sleep(50);
      attempts = await t.db.query(
        'SELECT a.* FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery_id WHERE d.endpoint_id = $1',
        [hook.id],
      );
    }
    expect(attempts[0]).toMatchObject({
      succeeded: false,
      status_code: null,
      error: expect.stringMatching(/address not allowed/),
    });
    expect(receiver.of('guarded')).toEqual([]);
  });

  it('rotate-secret: the new secret is shown once, and for a while deliveries verify with either secret', async () => {
    const tenant4 = await newTenant(t);
    const hook = await newWebhook(t, tenant4, receiver, 'rotating', { event_types: ['item.created'] });
    const rotated = await t.http.post(`/api/webhooks/${hook.id}/rotate-secret`).set(tenant4.auth).expect(201);
    const fresh = rotated.body.data.secret;
    expect(fresh).not.toBe(hook.secret);
    expect(Date.parse(rotated.body.data.previous_secret_expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    receiver.expect('rotating', fresh);
    startRelay(t);
    await newItem(t, tenant4);
    const [message] = await receiver.waitFor('rotating', 1);
    expect(message!.verified).toBe(true);
    expect(message!.signature.split(' ')).toHaveLength(2);
    const headers = {
      'webhook-id': message!.id,
      'webhook-timestamp': message!.timestamp,
      'webhook-signature': message!.signature,
    };
    for (const secret of [hook.secret, fresh]) {
      expect(new Webhook(secret).verify(JSON.stringify(message!.body), headers)).toEqual(message!.body);
    }
    const audit = await listAudit(t, tenant4, { action: 'webhook.secret_rotated' });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit)).not.toContain(fresh.slice(6));
  });
});
