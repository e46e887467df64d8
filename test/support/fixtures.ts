import { randomUUID } from 'node:crypto';
import { ADMIN_TOKEN, type TestApp } from './test-app.js';

export interface TestTenant {
  id: string;
  key: string;
  keyId: string;
  auth: { Authorization: string };
  defaultWarehouseId: string;
}

export const adminAuth = { Authorization: `Bearer ${ADMIN_TOKEN}` };

/** A fresh tenant: tests isolate themselves by tenant, so they never see each other's rows. */
export async function newTenant(t: TestApp, name = `tenant-${randomUUID()}`): Promise<TestTenant> {
  const res = await t.http.post('/api/admin/tenants').set(adminAuth).send({ name }).expect(201);
  const { tenant, api_key } = res.body.data;
  const [warehouse] = await t.db.query('SELECT id FROM warehouse WHERE tenant_id = $1 AND is_default', [tenant.id]);
  return {
    id: tenant.id,
    key: api_key.key,
    keyId: api_key.id,
    auth: { Authorization: `Bearer ${api_key.key}` },
    defaultWarehouseId: warehouse.id,
  };
}

export interface ItemData {
  id: string;
  name: string;
  sku: string | null;
  qty: number;
  reserved: number;
  available: number;
  stock: { warehouse_id: string; on_hand: number; reserved: number; available: number }[];
}

export async function newItem(
  t: TestApp,
  tenant: TestTenant,
  body: Record<string, unknown> = {},
): Promise<ItemData> {
  const res = await t.http
    .post('/api/items')
    .set(tenant.auth)
    .send({ name: `item-${randomUUID()}`, ...body })
    .expect(201);
  return res.body.data;
}

/**
 * Everything a tenant owns, in a stable order: compare before and after a
 * failed request to prove it changed nothing (S' = S).
 */
export async function snapshot(t: TestApp, tenantId: string): Promise<unknown> {
  const q = (sql: string) => t.db.query(sql, [tenantId]);
  return {
    items: await q('SELECT * FROM item WHERE tenant_id = $1 ORDER BY id'),
    stock: await q('SELECT * FROM stock WHERE tenant_id = $1 ORDER BY item_id, warehouse_id'),
    warehouses: await q('SELECT * FROM warehouse WHERE tenant_id = $1 ORDER BY id'),
    apiKeys: await q('SELECT id, label, revoked_at FROM api_key WHERE tenant_id = $1 ORDER BY id'),
    audit: await q('SELECT id FROM audit_log WHERE tenant_id = $1 ORDER BY id'),
  };
}

export async function auditRows(t: TestApp, tenantId: string, action?: string) {
  return t.db.query(
    `SELECT * FROM audit_log WHERE tenant_id = $1 ${action ? 'AND action = $2' : ''} ORDER BY created_at, id`,
    action ? [tenantId, action] : [tenantId],
  );
}
