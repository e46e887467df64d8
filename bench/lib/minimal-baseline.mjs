// The second baseline of the bench: the database's own limit. The same naive
// transaction per reservation as the same-schema pgbench baseline, on minimal
// tables: integer keys, no tenant columns, no foreign key but line ->
// reservation, a plain audit row, no ledger. What is left is what any
// reservation costs PostgreSQL: a row lock, three inserts, an update, a commit.
// The tables live next to the service's in the bench database, prefixed min_.

export const MIN_HOT_ITEM = 0;
export const MIN_SPREAD_ITEMS = 1000;
const WAREHOUSE = 1;

/** (Re)creates the min_ tables with one hot row (item 0) and 1,000 spread rows (items 1..1,000). */
export async function createMinimalTables(client) {
  await client.query(`
    DROP TABLE IF EXISTS min_audit, min_reservation_line, min_reservation, min_stock;
    CREATE TABLE min_stock (item int, warehouse int, on_hand int, reserved int, PRIMARY KEY (item, warehouse));
    CREATE TABLE min_reservation (id bigserial PRIMARY KEY, expires_at timestamptz);
    CREATE TABLE min_reservation_line (reservation bigint REFERENCES min_reservation, item int, warehouse int, quantity int);
    CREATE TABLE min_audit (id bigserial, action text, object bigint, at timestamptz DEFAULT now());
  `);
  // As much stock as the service's fixtures, so that neither side runs out.
  await client.query(
    `INSERT INTO min_stock (item, warehouse, on_hand, reserved)
     SELECT g, $1, CASE WHEN g = $2 THEN 100000000 ELSE 10000000 END, 0 FROM generate_series($2::int, $3::int) g`,
    [WAREHOUSE, MIN_HOT_ITEM, MIN_SPREAD_ITEMS],
  );
  await client.query('ANALYZE min_stock');
}

/** The pgbench script: 'hot' reserves the one hot row, 'spread' one of the 1,000 at random. */
export function minimalScript(kind) {
  const item = kind === 'hot' ? `\\set item ${MIN_HOT_ITEM}\n` : `\\set item random(1, ${MIN_SPREAD_ITEMS})\n`;
  return `${item}BEGIN;
SELECT on_hand, reserved FROM min_stock WHERE item = :item AND warehouse = ${WAREHOUSE} FOR UPDATE;
INSERT INTO min_reservation (expires_at) VALUES (now() + interval '10 minutes') RETURNING id AS rid \\gset
INSERT INTO min_reservation_line (reservation, item, warehouse, quantity) VALUES (:rid, :item, ${WAREHOUSE}, 1);
UPDATE min_stock SET reserved = reserved + 1 WHERE item = :item AND warehouse = ${WAREHOUSE};
INSERT INTO min_audit (action, object) VALUES ('reservation.created', :rid);
COMMIT;
`;
}
