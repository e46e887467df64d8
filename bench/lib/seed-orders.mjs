// Bulk-loads realistic orders for benchmarks, set-based (no request per order):
// 1,000 items, orders with 1-3 lines, the six statuses (mostly delivered), totals
// from about a euro to a few thousand, created over the last year, each with its reservation and a status
// history row. Rows are consistent by construction: stock.reserved equals the
// active (pending) orders' lines, committed reservations belong to confirmed and
// later orders, released ones to cancelled orders.
const ITEMS = 1000;
const CHUNK = 100_000;

export async function seedOrders(client, { tenantId, warehouseId, count, log = console.log }) {
  const started = Date.now();
  await client.query(`SET synchronous_commit = off`);
  // Consistent by construction, so foreign-key triggers are skipped for the bulk load (superuser only).
  const superuser = (await client.query(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`)).rows[0]
    ?.rolsuper;
  if (superuser) await client.query(`SET session_replication_role = replica`);

  await client.query(
    `INSERT INTO item (tenant_id, name, sku)
     SELECT $1, 'seed-item-' || lpad(g::text, 4, '0'), 'SEED-' || g FROM generate_series(1, ${ITEMS}) g
     ON CONFLICT DO NOTHING`,
    [tenantId],
  );
  const items = (
    await client.query(
      `SELECT array_agg(id ORDER BY name) AS ids FROM item WHERE tenant_id = $1 AND name LIKE 'seed-item-%'`,
      [tenantId],
    )
  ).rows[0].ids;
  await client.query(
    `INSERT INTO stock (tenant_id, item_id, warehouse_id, on_hand)
     SELECT $1, id, $2, 0 FROM unnest($3::uuid[]) AS id ON CONFLICT DO NOTHING`,
    [tenantId, warehouseId, items],
  );
  const offset = Number(
    (await client.query(`SELECT count(*) FROM orders WHERE tenant_id = $1`, [tenantId])).rows[0].count,
  );

  // A bulk load builds the non-unique indexes once at the end instead of row by row
  // (this is a tool for benchmark databases: other users of these tables are slowed meanwhile).
  const secondary = (
    await client.query(
      `SELECT i.indexname, i.indexdef FROM pg_indexes i
       JOIN pg_index x ON x.indexrelid = format('%I.%I', i.schemaname, i.indexname)::regclass
       WHERE i.schemaname = current_schema() AND NOT x.indisunique
         AND i.tablename IN ('orders', 'reservation', 'reservation_line', 'order_status_history')`,
    )
  ).rows;
  for (const index of secondary) await client.query(`DROP INDEX ${index.indexname}`);
  try {
    await loadChunks(client, { tenantId, warehouseId, count, offset, items, started, log });
  } finally {
    await client.query(`SET maintenance_work_mem = '512MB'`);
    for (const index of secondary) await client.query(index.indexdef);
  }
  log(`  indexes rebuilt (${((Date.now() - started) / 1000).toFixed(1)} s)`);

  // Stock that covers what the orders hold and what they took: reserved = active lines,
  // with the ledger's movement of each change (the database insists).
  await client.query(
    `WITH moved AS (
       UPDATE stock s SET reserved = a.held, on_hand = a.held + 1000000, movement_seq = s.movement_seq + 1
       FROM (SELECT l.item_id, l.warehouse_id, COALESCE(sum(l.quantity) FILTER (WHERE r.status = 'active'), 0) AS held
             FROM reservation_line l JOIN reservation r ON r.id = l.reservation_id
             WHERE l.tenant_id = $1 GROUP BY 1, 2) a,
            LATERAL (SELECT on_hand, reserved FROM stock WHERE item_id = a.item_id AND warehouse_id = a.warehouse_id) was
       WHERE s.item_id = a.item_id AND s.warehouse_id = a.warehouse_id
         AND (was.on_hand, was.reserved) IS DISTINCT FROM (a.held + 1000000, a.held)
       RETURNING s.tenant_id, s.item_id, s.warehouse_id, s.movement_seq, s.on_hand, s.reserved,
                 s.on_hand - was.on_hand AS on_hand_delta, s.reserved - was.reserved AS reserved_delta
     )
     INSERT INTO stock_movement (tenant_id, item_id, warehouse_id, seq, type, on_hand_delta, reserved_delta,
                                 on_hand_after, reserved_after, reason, actor, request_id)
     SELECT tenant_id, item_id, warehouse_id, movement_seq, 'adjusted', on_hand_delta, reserved_delta, on_hand, reserved,
            'seeded orders', 'bench', 'seed-orders'
     FROM moved`,
    [tenantId],
  );
  if (superuser) await client.query(`SET session_replication_role = DEFAULT`);
  await client.query('ANALYZE orders; ANALYZE order_line; ANALYZE reservation; ANALYZE reservation_line');
  return (Date.now() - started) / 1000;
}

async function loadChunks(client, { tenantId, warehouseId, count, offset, items, started, log }) {
  for (let start = 1; start <= count; start += CHUNK) {
    const end = Math.min(count, start + CHUNK - 1);
    await client.query('BEGIN');
    await client.query(
      `CREATE TEMP TABLE seed_orders ON COMMIT DROP AS
       SELECT g, gen_random_uuid() AS id, gen_random_uuid() AS reservation_id,
              (ARRAY['pending','pending','pending','confirmed','processing','shipped','shipped',
                     'delivered','delivered','delivered','delivered','delivered','delivered','delivered',
                     'delivered','delivered','cancelled','cancelled','cancelled','cancelled'])[1 + floor(random() * 20)::int] AS status,
              now() - interval '1 hour' - (random() * interval '365 days') AS created_at,
              'cust-' || (g % 5000) AS customer_ref,
              1 + floor(random() * 3)::int AS nlines
       FROM generate_series($1::bigint, $2::bigint) g`,
      [offset + start, offset + end],
    );
    await client.query(
      `CREATE TEMP TABLE seed_lines ON COMMIT DROP AS
       SELECT o.id AS order_id, o.reservation_id, ($1::uuid[])[1 + ((o.g * 7 + l * 331) % ${ITEMS})] AS item_id,
              (1 + floor(random() * 5))::int AS quantity,
              (99 + floor(random() * random() * 100000))::bigint AS unit_price
       FROM seed_orders o, generate_series(1, o.nlines) l`,
      [items],
    );
    await client.query(
      `INSERT INTO reservation (id, tenant_id, status, reference, expires_at, created_at, updated_at)
       SELECT reservation_id, $1,
              CASE status WHEN 'pending' THEN 'active' WHEN 'cancelled' THEN 'released' ELSE 'committed' END,
              customer_ref,
              CASE WHEN status = 'pending' THEN now() + interval '30 days' ELSE created_at + interval '10 minutes' END,
              created_at, created_at
       FROM seed_orders`,
      [tenantId],
    );
    await client.query(
      `INSERT INTO reservation_line (reservation_id, tenant_id, item_id, warehouse_id, quantity)
       SELECT reservation_id, $1, item_id, $2, quantity FROM seed_lines`,
      [tenantId, warehouseId],
    );
    await client.query(
      `INSERT INTO orders (id, tenant_id, status, currency, total_amount, customer_ref, reservation_id, created_at, updated_at)
       SELECT o.id, $1, o.status, 'EUR', t.total, o.customer_ref, o.reservation_id, o.created_at, o.created_at
       FROM seed_orders o
       JOIN (SELECT order_id, sum(quantity * unit_price) AS total FROM seed_lines GROUP BY order_id) t ON t.order_id = o.id`,
      [tenantId],
    );
    await client.query(
      `INSERT INTO order_line (order_id, tenant_id, item_id, warehouse_id, quantity, unit_price, line_total)
       SELECT order_id, $1, item_id, $2, quantity, unit_price, quantity * unit_price FROM seed_lines`,
      [tenantId, warehouseId],
    );
    await client.query(
      `INSERT INTO order_status_history (order_id, tenant_id, from_status, to_status, actor, reason, created_at)
       SELECT id, $1, NULL, status, 'seed', 'bulk load', created_at FROM seed_orders`,
      [tenantId],
    );
    await client.query('COMMIT');
    log(
      `  seeded ${end.toLocaleString()} / ${count.toLocaleString()} orders (${((Date.now() - started) / 1000).toFixed(1)} s)`,
    );
  }
}
