#!/usr/bin/env node
// npm run seed:orders -- --count 1000000 [--tenant <tenant id or name>]
// Against DATABASE_URL, or the bench's embedded server (.data/bench-postgres).
import { parseArgs } from 'node:util';
import { benchTenant, connect, openBenchDatabase } from './lib/database.mjs';
import { seedOrders } from './lib/seed-orders.mjs';

const { values } = parseArgs({
  options: { count: { type: 'string', default: '1000000' }, tenant: { type: 'string', default: 'bench-orders' } },
});
const count = Number(values.count);
if (!Number.isInteger(count) || count < 1) throw new Error('--count must be a positive integer');

const database = await openBenchDatabase();
const client = await connect(database.url);
try {
  const byId = /^[0-9a-f-]{36}$/i.test(values.tenant)
    ? (await client.query('SELECT name FROM tenant WHERE id = $1', [values.tenant])).rows[0]?.name
    : values.tenant;
  if (!byId) throw new Error(`no tenant ${values.tenant}`);
  const tenant = await benchTenant(client, byId);
  console.log(`Seeding ${count.toLocaleString()} orders for tenant "${byId}" (${tenant.id})`);
  const seconds = await seedOrders(client, { tenantId: tenant.id, warehouseId: tenant.warehouseId, count });
  console.log(`Done in ${seconds.toFixed(1)} s. API key for this tenant: ${tenant.key}`);
} finally {
  await client.end();
  await database.close();
}
