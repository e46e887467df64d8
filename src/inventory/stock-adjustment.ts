import type { EntityManager } from 'typeorm';
import { sql } from '../database/sql.js';
import { MAX_QUANTITY } from './quantities.js';

export interface AdjustedStock {
  on_hand: number;
  reserved: number;
}

/**
 * Applies `on_hand += delta` to one stock row in a single guarded statement, so
 * concurrent adjustments can neither lose an update nor take the row below its
 * reserved units. The item must be live: the CTE takes a KEY SHARE lock on it,
 * which waits for a concurrent delete (FOR UPDATE) and then sees its outcome.
 * Returns undefined when nothing was changed (unknown item, short stock, overflow).
 */
export async function applyStockDelta(
  manager: EntityManager,
  tenantId: string,
  itemId: string,
  warehouseId: string,
  delta: number,
): Promise<AdjustedStock | undefined> {
  const params = [itemId, tenantId, warehouseId, delta];
  const liveItem = `WITH it AS (
      SELECT id FROM item WHERE id = $1 AND tenant_id = $2 AND deleted_at IS NULL FOR KEY SHARE)`;
  const rows =
    delta < 0
      ? await sql<AdjustedStock>(
          manager,
          `${liveItem}
           UPDATE stock s SET on_hand = s.on_hand + $4, updated_at = now()
           FROM it
           WHERE s.item_id = it.id AND s.warehouse_id = $3 AND s.on_hand - s.reserved + $4 >= 0
           RETURNING s.on_hand, s.reserved`,
          params,
        )
      : // Adding stock to a warehouse that has none of this item yet creates its row.
        await sql<AdjustedStock>(
          manager,
          `${liveItem}
           INSERT INTO stock AS s (tenant_id, item_id, warehouse_id, on_hand)
           SELECT $2, it.id, $3, $4::integer FROM it
           WHERE $4::integer <= $5::integer
           ON CONFLICT (item_id, warehouse_id) DO UPDATE
             SET on_hand = s.on_hand + EXCLUDED.on_hand, updated_at = now()
             WHERE s.on_hand::bigint + EXCLUDED.on_hand <= $5::integer
           RETURNING s.on_hand, s.reserved`,
          [...params, MAX_QUANTITY],
        );
  return rows[0];
}
