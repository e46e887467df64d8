// Bulk-loads a stock ledger for benchmarks, set-based (no request per movement):
// 2,000 items in 5 warehouses (10,000 stock rows), each row numbered 1…n with a
// `received` opening of 1,000,000 units and then a repeating cycle of holds,
// releases, expiries, commits, restocks, receipts, adjustments and write-offs,
// spread over the last year in time order (ids follow created_at, as appends do).
// Consistent by construction: every movement starts where the one before it on its
// row ended, and each stock row ends as its last movement says (checkLedger finds
// nothing). Loaded with session_replication_role = replica (superuser only): the
// foreign-key checks, the deferred stock_change_recorded check and the other
// triggers are skipped for the bulk load; the books are checked afterwards instead.
const ITEMS = 2000;
const WAREHOUSES = 5;
export const STOCK_ROWS = ITEMS * WAREHOUSES;
const SEQ_CHUNK = 50;

// One cycle of ten movements: type and the multiples of k it adds to on_hand and reserved.
// Each cycle adds nothing in total, so a row never goes below its opening.
const CYCLE = [
  ['reserved', 0, 5],
  ['reserved', 0, 3],
  ['released', 0, -3],
  ['committed', -5, -5],
  ['received', 5, 0], // every 20th cycle `restocked` instead: a confirmed order cancelled
  ['reserved', 0, 2],
  ['expired', 0, -2],
  ['adjusted', -1, 0],
  ['damaged', -1, 0],
  ['received', 2, 0],
];
const OPENING = 1_000_000;

const arr = (values) => `ARRAY[${values.join(', ')}]`;
const prefix = (column) => {
  let sum = 0;
  return CYCLE.map((c) => (sum += c[column]));
};

export async function seedMovements(client, { tenantId, defaultWarehouseId, perRow, log = console.log }) {
  const started = Date.now();
  const superuser = (await client.query(`SELECT rolsuper FROM pg_roles WHERE rolname = current_user`)).rows[0]
    ?.rolsuper;
  if (!superuser) throw new Error('seeding the ledger needs a superuser (session_replication_role = replica)');
  await client.query(`SET synchronous_commit = off`);
  await client.query(`SET session_replication_role = replica`);

  await client.query(
    `INSERT INTO warehouse (tenant_id, code, name, priority)
     SELECT $1, 'MV-' || g, 'Bench warehouse ' || g, g FROM generate_series(1, ${WAREHOUSES - 1}) g
     ON CONFLICT DO NOTHING`,
    [tenantId],
  );
  await client.query(
    `INSERT INTO item (tenant_id, name, sku)
     SELECT $1, 'mv-item-' || lpad(g::text, 4, '0'), 'MV-' || g FROM generate_series(1, ${ITEMS}) g
     ON CONFLICT DO NOTHING`,
    [tenantId],
  );
  // The stock rows, numbered 1…10,000 (r), with their item and warehouse.
  await client.query(
    `CREATE TEMP TABLE seed_rows AS
     SELECT row_number() OVER (ORDER BY i.name, w.priority) AS r, i.id AS item_id, w.id AS warehouse_id
     FROM item i CROSS JOIN warehouse w
     WHERE i.tenant_id = $1 AND i.name LIKE 'mv-item-%' AND w.tenant_id = $1 AND (w.code LIKE 'MV-%' OR w.id = $2)`,
    [tenantId, defaultWarehouseId],
  );
  const rows = Number((await client.query(`SELECT count(*) FROM seed_rows`)).rows[0].count);

  const secondary = (
    await client.query(
      `SELECT i.indexname, i.indexdef FROM pg_indexes i
       JOIN pg_index x ON x.indexrelid = format('%I.%I', i.schemaname, i.indexname)::regclass
       WHERE i.schemaname = current_schema() AND NOT x.indisunique AND i.tablename = 'stock_movement'`,
    )
  ).rows;
  for (const index of secondary) await client.query(`DROP INDEX ${index.indexname}`);
  try {
    for (let first = 1; first <= perRow; first += SEQ_CHUNK) {
      const last = Math.min(perRow, first + SEQ_CHUNK - 1);
      await client.query(insertChunk(), [tenantId, first, last, OPENING]);
      log(`  seeded movements ${first}..${last} of ${perRow} on ${rows} rows (${seconds(started)} s)`);
    }
  } finally {
    await client.query(`SET maintenance_work_mem = '1GB'`);
    for (const index of secondary) {
      await client.query(index.indexdef);
      log(`  index ${index.indexname} rebuilt (${seconds(started)} s)`);
    }
  }
  // Each stock row as its last movement left it.
  await client.query(
    `INSERT INTO stock (tenant_id, item_id, warehouse_id, on_hand, reserved, movement_seq)
     SELECT DISTINCT ON (m.item_id, m.warehouse_id) m.tenant_id, m.item_id, m.warehouse_id,
            m.on_hand_after, m.reserved_after, m.seq
     FROM stock_movement m JOIN seed_rows s ON s.item_id = m.item_id AND s.warehouse_id = m.warehouse_id
     ORDER BY m.item_id, m.warehouse_id, m.seq DESC
     ON CONFLICT (item_id, warehouse_id) DO UPDATE
       SET on_hand = excluded.on_hand, reserved = excluded.reserved, movement_seq = excluded.movement_seq`,
  );
  await client.query(`SET session_replication_role = DEFAULT`);
  await client.query(`DROP TABLE seed_rows`);
  await client.query('ANALYZE stock_movement; ANALYZE stock; ANALYZE item');
  return (Date.now() - started) / 1000;
}

/** Movements first..last of every seed row, in time order. */
function insertChunk() {
  const types = arr(CYCLE.map((c) => `'${c[0]}'`));
  const onHand = arr(CYCLE.map((c) => c[1]));
  const reserved = arr(CYCLE.map((c) => c[2]));
  const onHandAfter = arr(prefix(1));
  const reservedAfter = arr(prefix(2));
  return `
    INSERT INTO stock_movement (tenant_id, item_id, warehouse_id, seq, type, on_hand_delta, reserved_delta,
                                on_hand_after, reserved_after, reason, reference, actor, request_id, created_at)
    SELECT $1, s.item_id, s.warehouse_id, q.seq,
           CASE WHEN q.seq = 1 THEN 'received' WHEN q.pos = 4 AND q.c % 20 = 0 THEN 'restocked'
                ELSE (${types})[q.pos + 1] END,
           CASE WHEN q.seq = 1 THEN $4 ELSE q.k * (${onHand})[q.pos + 1] END,
           CASE WHEN q.seq = 1 THEN 0 ELSE q.k * (${reserved})[q.pos + 1] END,
           CASE WHEN q.seq = 1 THEN $4 ELSE $4 + q.k * (${onHandAfter})[q.pos + 1] END,
           CASE WHEN q.seq = 1 THEN 0 ELSE q.k * (${reservedAfter})[q.pos + 1] END,
           CASE WHEN q.pos = 8 THEN 'damaged in the warehouse' END,
           CASE WHEN q.seq = 1 THEN 'po:opening'
                WHEN q.pos IN (0, 1, 2, 5, 6) THEN 'reservation:' || md5(s.r || '-' || q.c || '-' || q.pos)::uuid
                WHEN q.pos = 3 OR (q.pos = 4 AND q.c % 20 = 0) THEN 'order:' || md5(s.r || '-' || q.c)::uuid
                WHEN q.pos IN (4, 9) THEN 'po:' || ((s.r + q.c) % 5000)
           END,
           'api_key:0b7f3a52-6c1d-4e8f-9a2b-3c4d5e6f7a8b',
           md5(s.r || ':' || q.seq)::uuid::text,
           now() - interval '365 days' + (q.seq - 1) * interval '8 hours 45 minutes'
             + s.r * interval '2.9 seconds' + (q.seq % 7) * interval '1 millisecond'
    FROM seed_rows s
    CROSS JOIN LATERAL (
      SELECT g AS seq, (g - 2) % 10 AS pos, (g - 2) / 10 AS c, 1 + ((s.r * 31 + ((g - 2) / 10) * 17) % 5) AS k
      FROM generate_series($2::int, $3::int) g
    ) q
    ORDER BY 14`;
}

const seconds = (started) => ((Date.now() - started) / 1000).toFixed(1);
