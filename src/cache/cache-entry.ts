import type { ItemView } from '../inventory/item.repository.js';

// The pure half of the read cache (see ItemCache and the README's design notes):
// the keys, what an entry carries, and when an entry may be served.

/** The versions an entry is checked against, read from Redis in the same round trip as the entry. */
export interface Versions {
  /** Global: replaced after an invalidation may have been lost (and whenever Redis lost it). */
  epoch: string;
  /** Per tenant: replaced by a warehouse change (codes and priorities are in every item view). */
  tenant: string;
  /** Per item: replaced after every committed change of the item or its stock. */
  item: string;
}

/** A cached item view, tagged with the versions it was read under. */
export interface CacheEntry {
  e: string;
  t: string;
  i: string;
  /**
   * Epoch milliseconds (the database's clock) at which the first active hold
   * of the item lapses: the view counts it until then and not after, with no
   * write in between. Null: no hold.
   */
  until: number | null;
  view: ItemView;
}

/**
 * How far the service's clock may be behind the database's: an entry stops being
 * served this long before its first hold lapses (the residual risk is a larger skew).
 */
export const CLOCK_MARGIN_MS = 1000;

export function cacheKeys(prefix: string) {
  return {
    epoch: `${prefix}epoch`,
    tenant: (tenantId: string) => `${prefix}tv:${tenantId}`,
    item: (itemId: string) => `${prefix}iv:${itemId}`,
    entry: (tenantId: string, itemId: string) => `${prefix}item:${tenantId}:${itemId}`,
    sku: (tenantId: string, sku: string) => `${prefix}sku:${tenantId}:${sku}`,
  };
}

export function encodeEntry(versions: Versions, until: Date | null, view: ItemView): string {
  const entry: CacheEntry = {
    e: versions.epoch,
    t: versions.tenant,
    i: versions.item,
    until: until?.getTime() ?? null,
    view,
  };
  return JSON.stringify(entry);
}

/** Whether a fill may be stored at all: not when its first hold lapses (nearly) now. */
export function worthStoring(until: Date | null, now: number): boolean {
  return until === null || until.getTime() - CLOCK_MARGIN_MS > now;
}

/**
 * The view an entry may answer with, or undefined (a miss): every version it was
 * filled under is still the current one, no hold it counts has lapsed, and it is
 * the item asked for (`id`, or the item that has `sku` now: the entry of the item a
 * SKU pointed to may name another SKU since).
 */
export function servable(
  raw: string | null,
  current: Versions,
  now: number,
  wanted: { id?: string; sku?: string },
): ItemView | undefined {
  if (raw === null) return undefined;
  let entry: CacheEntry;
  try {
    entry = JSON.parse(raw) as CacheEntry;
  } catch {
    return undefined;
  }
  if (entry.e !== current.epoch || entry.t !== current.tenant || entry.i !== current.item) return undefined;
  if (entry.until !== null && entry.until - CLOCK_MARGIN_MS <= now) return undefined;
  if (wanted.id !== undefined && entry.view.id !== wanted.id) return undefined;
  if (wanted.sku !== undefined && entry.view.sku !== wanted.sku) return undefined;
  return entry.view;
}
