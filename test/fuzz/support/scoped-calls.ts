import fc from 'fast-check';

// A request for every route that needs a scope, as a tenant would send it: on
// its own objects (or, sometimes, on another tenant's), with a body the route
// accepts. With the scope, most of them would change something; without it,
// each must be refused before anything runs.

export interface ScopedCall {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  body?: object;
}

/** The ids a caller's requests name: its own, and some of another tenant's. */
export interface ScopeWorld {
  items: string[];
  skus: string[];
  warehouses: string[];
  reservations: string[];
  orders: string[];
  webhooks: string[];
  eventCursor: string;
}

export function scopedCalls(own: ScopeWorld, other: ScopeWorld): Record<string, fc.Arbitrary<ScopedCall>> {
  const pick = (key: keyof Omit<ScopeWorld, 'eventCursor'>) => fc.constantFrom(...own[key], ...other[key]);
  const [item, warehouse, reservation, order, webhook] = [
    pick('items'),
    pick('warehouses'),
    pick('reservations'),
    pick('orders'),
    pick('webhooks'),
  ];
  const n = fc.integer({ min: 1, max: 5 });
  const name = fc.nat().map((i) => `scoped-${i}`);
  const get = (path: fc.Arbitrary<string>) => path.map((p): ScopedCall => ({ method: 'get', path: p }));
  const call = <T>(method: ScopedCall['method'], arb: fc.Arbitrary<T>, to: (v: T) => Omit<ScopedCall, 'method'>) =>
    arb.map((v): ScopedCall => ({ method, ...to(v) }));
  const row = fc.tuple(fc.constantFrom(...own.items), fc.constantFrom(...own.warehouses));
  return {
    'POST /api/items': call('post', name, (nm) => ({ path: '/api/items', body: { name: nm, qty: 3 } })),
    'GET /api/items': get(fc.constantFrom('/api/items', `/api/items?sku=${own.skus[0]}`)),
    'GET /api/items/sku/:sku': get(pick('skus').map((s) => `/api/items/sku/${s}`)),
    'GET /api/items/:id': get(item.map((id) => `/api/items/${id}`)),
    'POST /api/availability': call('post', item, (id) => ({
      path: '/api/availability',
      body: { items: [{ item_id: id }] },
    })),
    'PATCH /api/items/:id': call('patch', fc.tuple(item, n), ([id, r]) => ({
      path: `/api/items/${id}`,
      body: { reorder_point: r },
    })),
    'PATCH /api/items/:id/qty': call('patch', fc.tuple(item, n), ([id, d]) => ({
      path: `/api/items/${id}/qty`,
      body: { delta: d },
    })),
    'DELETE /api/items/:id': call('delete', item, (id) => ({ path: `/api/items/${id}` })),
    'GET /api/items/:id/movements': get(item.map((id) => `/api/items/${id}/movements`)),
    'GET /api/stock-movements': get(fc.constant('/api/stock-movements?limit=100')),
    'POST /api/warehouses': call('post', fc.nat(), (i) => ({
      path: '/api/warehouses',
      body: { code: `SC-${i}`, name: `scoped ${i}` },
    })),
    'GET /api/warehouses': get(fc.constant('/api/warehouses')),
    'GET /api/warehouses/:id': get(warehouse.map((id) => `/api/warehouses/${id}`)),
    'PATCH /api/warehouses/:id': call('patch', fc.tuple(warehouse, n), ([id, p]) => ({
      path: `/api/warehouses/${id}`,
      body: { priority: p },
    })),
    'POST /api/stock/counts': call('post', fc.tuple(row, n), ([[item_id, warehouse_id], on_hand]) => ({
      path: '/api/stock/counts',
      body: { lines: [{ item_id, warehouse_id, on_hand: on_hand + 40 }] },
    })),
    'POST /api/stock/transfers': call('post', n, (quantity) => ({
      path: '/api/stock/transfers',
      body: {
        item_id: own.items[0],
        from_warehouse_id: own.warehouses[0],
        to_warehouse_id: own.warehouses[1],
        quantity,
      },
    })),
    'POST /api/stock/adjustments': call('post', fc.tuple(row, n), ([[item_id, warehouse_id], delta]) => ({
      path: '/api/stock/adjustments',
      body: { lines: [{ item_id, warehouse_id, delta }] },
    })),
    'POST /api/reservations': call('post', n, (quantity) => ({
      path: '/api/reservations',
      body: { lines: [{ item_id: own.items[0], quantity }] },
    })),
    'GET /api/reservations': get(fc.constant('/api/reservations')),
    'GET /api/reservations/:id': get(reservation.map((id) => `/api/reservations/${id}`)),
    'POST /api/reservations/:id/release': call('post', reservation, (id) => ({
      path: `/api/reservations/${id}/release`,
    })),
    'POST /api/reservations/:id/extend': call('post', fc.tuple(reservation, n), ([id, m]) => ({
      path: `/api/reservations/${id}/extend`,
      body: { ttl_seconds: m * 60 },
    })),
    'POST /api/orders': call('post', n, (quantity) => ({
      path: '/api/orders',
      body: { currency: 'EUR', lines: [{ item_id: own.items[0], quantity, unit_price: 100 }] },
    })),
    'GET /api/orders': get(fc.constant('/api/orders')),
    'GET /api/orders/:id': get(order.map((id) => `/api/orders/${id}`)),
    'POST /api/orders/:id/transitions': call(
      'post',
      fc.tuple(order, fc.constantFrom('confirmed', 'cancelled')),
      ([id, to]) => ({
        path: `/api/orders/${id}/transitions`,
        body: { to },
      }),
    ),
    'GET /api/audit-logs': get(fc.constant('/api/audit-logs?limit=100')),
    'GET /api/events': get(fc.constant(`/api/events?after=${encodeURIComponent(own.eventCursor)}`)),
    'POST /api/webhooks': call('post', fc.nat(), (i) => ({
      path: '/api/webhooks',
      body: { url: `http://127.0.0.1:9/hooks/scoped-${i}` },
    })),
    'GET /api/webhooks': get(fc.constant('/api/webhooks')),
    'GET /api/webhooks/:id': get(webhook.map((id) => `/api/webhooks/${id}`)),
    'PATCH /api/webhooks/:id': call('patch', fc.tuple(webhook, fc.boolean()), ([id, active]) => ({
      path: `/api/webhooks/${id}`,
      body: { active, description: 'changed' },
    })),
    'DELETE /api/webhooks/:id': call('delete', webhook, (id) => ({ path: `/api/webhooks/${id}` })),
    'POST /api/webhooks/:id/rotate-secret': call('post', webhook, (id) => ({
      path: `/api/webhooks/${id}/rotate-secret`,
    })),
    'GET /api/webhooks/:id/deliveries': get(webhook.map((id) => `/api/webhooks/${id}/deliveries`)),
    'POST /api/webhooks/:id/deliveries/:delivery/retry': call('post', webhook, (id) => ({
      path: `/api/webhooks/${id}/deliveries/00000000-0000-4000-8000-000000000000/retry`,
    })),
    'POST /api/webhooks/:id/replay': call('post', webhook, (id) => ({
      path: `/api/webhooks/${id}/replay`,
      body: { from: '2000-01-01T00:00:00Z' },
    })),
  };
}
