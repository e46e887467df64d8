import type { UnknownReference } from '../common/errors.js';
import type { ItemRef } from '../cache/item-cache.js';
import type { ItemView, StockView } from './item.repository.js';

/** One asked-for item: its totals and its stock per warehouse (warehouse priority order). */
export interface ItemAvailability {
  item_id: string;
  sku: string | null;
  on_hand: number;
  reserved: number;
  available: number;
  /** The item view's stock rows (units of the item in each warehouse). */
  warehouses: StockView[];
}

export function availabilityOf(view: ItemView): ItemAvailability {
  return {
    item_id: view.id,
    sku: view.sku,
    on_hand: view.qty,
    reserved: view.reserved,
    available: view.available,
    warehouses: view.stock.map((s) => ({
      warehouse_id: s.warehouse_id,
      warehouse_code: s.warehouse_code,
      on_hand: s.on_hand,
      reserved: s.reserved,
      available: s.available,
    })),
  };
}

/** The refs that found no live item, as the 404's details (the convention of every multi-line route). */
export function unknownRefs(refs: ItemRef[], views: (ItemView | undefined)[], path = 'items'): UnknownReference[] {
  return refs.flatMap((ref, i): UnknownReference[] => {
    if (views[i] !== undefined) return [];
    return ref.id !== undefined
      ? [{ field: `${path}.${i}.item_id`, message: `unknown item_id ${ref.id}`, item_id: ref.id }]
      : [{ field: `${path}.${i}.sku`, message: `unknown sku ${ref.sku}`, sku: ref.sku }];
  });
}
