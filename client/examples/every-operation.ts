/**
 * Calls every operation of openapi.json through the client, with the request
 * fields the service takes and the response fields a caller reads. Bodies are
 * object literals typed by their schema, so that TypeScript checks them for
 * excess properties (a literal held in an untyped variable is not). Type-checked
 * by `npm run client:typecheck` (.ci/run): a field the document lacks, or a
 * misspelt one, does not compile. test/client/every-operation.e2e-spec.ts checks
 * that it names every operationId, and runs it against the live service, every
 * answer held against the document.
 */
import { unwrap, type InventoryClient, type Schemas } from '../src/index.js';

export interface Clients {
  /** With ADMIN_TOKEN. */
  admin: InventoryClient;
  /** With a tenant's API key. */
  tenant: InventoryClient;
  /** Without credentials: the probes, and /metrics when no METRICS_TOKEN is set. */
  anonymous: InventoryClient;
}

/** How long the webhook relay may take to make a delivery for the endpoint created here. */
const DELIVERY_DEADLINE_MS = 20_000;

/** `webhookUrl` receives the endpoint's deliveries (it may answer with an error: a failed delivery can be retried). */
export async function callEveryOperation({ admin, tenant, anonymous }: Clients, webhookUrl: string): Promise<void> {
  const run = Date.now().toString(36).toUpperCase();
  const started = new Date().toISOString();

  // Who am I; the admin side.
  const me = unwrap(await tenant.GET('/api/me')).data;
  const other = unwrap(await admin.POST('/api/admin/tenants', { body: { name: `every-operation-${run}` } })).data;
  const path = { id: other.tenant.id };
  const second = unwrap(
    await admin.POST('/api/admin/tenants/{id}/api-keys', {
      params: { path },
      body: { label: 'second', scopes: ['inventory:read'] },
    }),
  ).data;
  unwrap(await admin.GET('/api/admin/ledger', { params: { query: { tenant_id: me.tenant_id } } }));
  unwrap(await admin.GET('/api/admin/tenants', { params: { query: { limit: 10 } } }));
  unwrap(await admin.GET('/api/admin/tenants/{id}/api-keys', { params: { path, query: { limit: 10 } } }));
  const onKey = { params: { path: { id: other.tenant.id, key: second.id } } };
  const rotated = unwrap(
    await admin.POST('/api/admin/tenants/{id}/api-keys/{key}/rotate', { ...onKey, body: { label: 'third' } }),
  ).data;
  if (rotated.rotated_from !== second.id) throw new Error('rotate: rotated_from is not the old key');
  unwrap(await admin.DELETE('/api/admin/tenants/{id}/api-keys/{key}', onKey));
  unwrap(await admin.POST('/api/admin/tenants/{id}/disable', { params: { path } }));
  unwrap(await admin.POST('/api/admin/tenants/{id}/enable', { params: { path } }));

  // A webhook first, so that the changes below are delivered to it.
  const hook = unwrap(
    await tenant.POST('/api/webhooks', {
      body: { url: webhookUrl, event_types: ['stock.changed'], description: 'every operation' },
    }),
  ).data;
  const onHook = { params: { path: { id: hook.id } } };

  // Warehouses.
  const body: Schemas['CreateWarehouseDto'] = { code: `EO-${run}`, name: 'Every operation', priority: 5 };
  const warehouse = unwrap(await tenant.POST('/api/warehouses', { body })).data;
  const onWarehouse = { params: { path: { id: warehouse.id } } };
  unwrap(await tenant.GET('/api/warehouses', { params: { query: { limit: 10 } } }));
  unwrap(await tenant.GET('/api/warehouses/{id}', onWarehouse));
  unwrap(await tenant.PATCH('/api/warehouses/{id}', { ...onWarehouse, body: { name: 'Every operation (2)' } }));

  // Items and their stock.
  const sku = `EO-${run}`;
  const item = unwrap(
    await tenant.POST('/api/items', {
      body: { name: `every-operation-${run}`, sku, description: 'a test item', qty: 50, reorder_point: 5 },
      idempotencyKey: `create-${sku}`,
    }),
  ).data;
  const onItem = { params: { path: { id: item.id } } };
  const defaultWarehouseId = item.stock[0]!.warehouse_id;
  unwrap(await tenant.GET('/api/items', { params: { query: { sku, limit: 1 } } }));
  unwrap(await tenant.GET('/api/items/sku/{sku}', { params: { path: { sku } } }));
  unwrap(await tenant.GET('/api/items/{id}', onItem));
  unwrap(await tenant.POST('/api/availability', { body: { items: [{ item_id: item.id }, { sku }] } }));
  unwrap(await tenant.PATCH('/api/items/{id}', { ...onItem, body: { description: null, reorder_point: 3 } }));
  const damaged: Schemas['AdjustQtyDto'] = { delta: -1, type: 'damaged', reason: 'dropped', reference: `note:${run}` };
  unwrap(await tenant.PATCH('/api/items/{id}/qty', { ...onItem, body: damaged, idempotencyKey: `damaged-${sku}` }));
  const transfer: Schemas['TransferStockDto'] = {
    item_id: item.id,
    from_warehouse_id: defaultWarehouseId,
    to_warehouse_id: warehouse.id,
    quantity: 10,
  };
  const moved = unwrap(await tenant.POST('/api/stock/transfers', { body: transfer })).data;
  const count: Schemas['CountLineDto'] = {
    item_id: item.id,
    warehouse_id: warehouse.id,
    on_hand: 12,
    expected_on_hand: moved.to.on_hand,
  };
  unwrap(await tenant.POST('/api/stock/counts', { body: { lines: [count], reference: `count:${run}` } }));
  const received: Schemas['AdjustmentLineDto'] = {
    item_id: item.id,
    warehouse_id: warehouse.id,
    delta: 3,
    type: 'received',
  };
  unwrap(await tenant.POST('/api/stock/adjustments', { body: { lines: [received], mode: 'per_line' } }));

  // Reservations.
  const lines: Schemas['ReservationLineDto'][] = [{ item_id: item.id, quantity: 2 }];
  const hold = unwrap(
    await tenant.POST('/api/reservations', { body: { lines, ttl_seconds: 300, reference: `cart-${run}` } }),
  ).data;
  const onHold = { params: { path: { id: hold.id } } };
  unwrap(await tenant.GET('/api/reservations', { params: { query: { reference: `cart-${run}` } } }));
  unwrap(await tenant.GET('/api/reservations/{id}', onHold));
  unwrap(await tenant.POST('/api/reservations/{id}/extend', { ...onHold, body: { ttl_seconds: 600 } }));
  unwrap(await tenant.POST('/api/reservations/{id}/release', onHold));

  // Orders.
  const order = unwrap(
    await tenant.POST('/api/orders', {
      body: { currency: 'EUR', customer_ref: `cust-${run}`, lines: [{ sku, quantity: 2, unit_price: 1299 }] },
      idempotencyKey: `order-${run}`,
    }),
  ).data;
  const onOrder = { params: { path: { id: order.id } } };
  unwrap(await tenant.GET('/api/orders', { params: { query: { customer_ref: `cust-${run}`, status: ['pending'] } } }));
  unwrap(await tenant.GET('/api/orders/{id}', onOrder));
  unwrap(await tenant.POST('/api/orders/{id}/transitions', { ...onOrder, body: { to: 'confirmed' } }));

  // What happened: events, the ledger, the audit log.
  unwrap(await tenant.GET('/api/events', { params: { query: { types: ['stock.changed'], limit: 5 } } }));
  unwrap(await tenant.GET('/api/stock-movements', { params: { query: { item_id: item.id, type: 'damaged' } } }));
  unwrap(await tenant.GET('/api/items/{id}/movements', { params: { path: onItem.params.path, query: { limit: 5 } } }));
  unwrap(await tenant.GET('/api/audit-logs', { params: { query: { object_id: order.id, from: started } } }));

  // The webhook's life.
  unwrap(await tenant.GET('/api/webhooks', { params: { query: { limit: 5 } } }));
  unwrap(await tenant.GET('/api/webhooks/{id}', onHook));
  unwrap(await tenant.PATCH('/api/webhooks/{id}', { ...onHook, body: { description: 'every operation (2)' } }));
  unwrap(await tenant.POST('/api/webhooks/{id}/rotate-secret', onHook));
  const delivery = await firstDelivery(tenant, hook.id);
  const onDelivery = { params: { path: { id: hook.id, delivery: delivery.id } } };
  unwrap(await tenant.POST('/api/webhooks/{id}/deliveries/{delivery}/retry', onDelivery));
  unwrap(await tenant.POST('/api/webhooks/{id}/replay', { ...onHook, body: { from: started } }));
  unwrap(await tenant.DELETE('/api/webhooks/{id}', onHook));

  // An item with nothing on it can be deleted.
  const spare = unwrap(await tenant.POST('/api/items', { body: { name: `spare-${run}` } })).data;
  unwrap(await tenant.DELETE('/api/items/{id}', { params: { path: { id: spare.id } }, idempotencyKey: `rm-${run}` }));

  // Operations.
  unwrap(await anonymous.GET('/health/live'));
  unwrap(await anonymous.GET('/health/ready'));
  unwrap(await anonymous.GET('/metrics', { parseAs: 'text' }));
}

async function firstDelivery(tenant: InventoryClient, id: string) {
  const deadline = Date.now() + DELIVERY_DEADLINE_MS;
  for (;;) {
    const page = unwrap(await tenant.GET('/api/webhooks/{id}/deliveries', { params: { path: { id } } }));
    if (page.data[0]) return page.data[0];
    if (Date.now() > deadline) throw new Error(`no delivery for webhook ${id} after ${DELIVERY_DEADLINE_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
