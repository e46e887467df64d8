import type { Test } from 'supertest';
import { adminAuth, type TestTenant } from './fixtures.js';
import type { TestApp } from './test-app.js';

// API keys made, revoked and rotated through the admin routes.

export interface TestKey {
  id: string;
  key: string;
  auth: { Authorization: string };
  scopes: string[];
  expires_at: string | null;
}

const asTestKey = (data: TestKey): TestKey => ({ ...data, auth: { Authorization: `Bearer ${data.key}` } });

/** POST …/api-keys that must succeed (`scopes`, `expires_at`, `label` as given; the service's defaults otherwise). */
export async function newKey(t: TestApp, tenant: { id: string }, body: object = {}): Promise<TestKey> {
  const res = await t.http.post(`/api/admin/tenants/${tenant.id}/api-keys`).set(adminAuth).send(body).expect(201);
  return asTestKey(res.body.data);
}

/** DELETE …/api-keys/:key, whatever it answers. */
export function revokeKey(t: TestApp, tenant: TestTenant | { id: string }, keyId: string): Test {
  return t.http.delete(`/api/admin/tenants/${tenant.id}/api-keys/${keyId}`).set(adminAuth);
}

/** POST …/api-keys/:key/rotate that must succeed; returns the new key. */
export async function rotateKey(t: TestApp, tenant: { id: string }, keyId: string, body: object = {}) {
  const res = await t.http
    .post(`/api/admin/tenants/${tenant.id}/api-keys/${keyId}/rotate`)
    .set(adminAuth)
    .send(body)
    .expect(201);
  return asTestKey(res.body.data);
}

/** POST …/disable or …/enable of a tenant, whatever it answers. */
export function setTenantDisabled(t: TestApp, tenant: { id: string }, disabled: boolean): Test {
  return t.http.post(`/api/admin/tenants/${tenant.id}/${disabled ? 'disable' : 'enable'}`).set(adminAuth);
}
