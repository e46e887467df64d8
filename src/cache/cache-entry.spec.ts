import { describe, expect, it } from '@jest/globals';
import type { ItemView } from '../inventory/item.repository.js';
import { CLOCK_MARGIN_MS, cacheKeys, encodeEntry, servable, worthStoring } from './cache-entry.js';

const view = (over: Partial<ItemView> = {}): ItemView => ({
  id: 'a0000000-0000-4000-8000-000000000001',
  sku: 'APPLE-1',
  name: 'apple',
  description: null,
  qty: 5,
  reserved: 2,
  available: 3,
  reorder_point: null,
  low_stock: false,
  stock: [],
  created_at: '2026-01-01T00:00:00.000Z',
  updated_at: '2026-01-01T00:00:00.000Z',
  ...over,
});
const V = { epoch: 'e1', tenant: 't1', item: 'i1' };
const NOW = 1_800_000_000_000;

describe('servable', () => {
  const raw = encodeEntry(V, null, view());

  it('serves an entry whose every version is current, for the item asked for', () => {
    expect(servable(raw, V, NOW, { id: view().id })).toEqual(view());
    expect(servable(raw, V, NOW, { id: view().id, sku: 'APPLE-1' })).toEqual(view());
  });

  it('misses when any version changed: the item, its tenant (warehouses), the epoch (lost invalidations)', () => {
    expect(servable(raw, { ...V, item: 'i2' }, NOW, {})).toBeUndefined();
    expect(servable(raw, { ...V, tenant: 't2' }, NOW, {})).toBeUndefined();
    expect(servable(raw, { ...V, epoch: 'e2' }, NOW, {})).toBeUndefined();
  });

  it('misses for another item or another SKU (a pointer may name the item that had the SKU before)', () => {
    expect(servable(raw, V, NOW, { id: 'a0000000-0000-4000-8000-000000000002' })).toBeUndefined();
    expect(servable(raw, V, NOW, { sku: 'APPLE-2' })).toBeUndefined();
    expect(servable(encodeEntry(V, null, view({ sku: null })), V, NOW, { sku: 'APPLE-1' })).toBeUndefined();
  });

  it('stops serving an entry a margin before its first hold lapses (the view changes then, with no write)', () => {
    const until = new Date(NOW + 5000);
    const held = encodeEntry(V, until, view());
    expect(servable(held, V, NOW, {})).toEqual(view());
    expect(servable(held, V, NOW + 5000 - CLOCK_MARGIN_MS - 1, {})).toEqual(view());
    expect(servable(held, V, NOW + 5000 - CLOCK_MARGIN_MS, {})).toBeUndefined();
    expect(servable(held, V, NOW + 6000, {})).toBeUndefined();
  });

  it('misses on nothing stored or a damaged value, never throws', () => {
    expect(servable(null, V, NOW, {})).toBeUndefined();
    expect(servable('{not json', V, NOW, {})).toBeUndefined();
  });
});

describe('worthStoring', () => {
  it('not when the first hold lapses within the margin', () => {
    expect(worthStoring(null, NOW)).toBe(true);
    expect(worthStoring(new Date(NOW + CLOCK_MARGIN_MS + 1), NOW)).toBe(true);
    expect(worthStoring(new Date(NOW + CLOCK_MARGIN_MS), NOW)).toBe(false);
  });
});

describe('cacheKeys', () => {
  it('puts every key under the prefix; entries and SKU pointers per tenant, versions per item', () => {
    const k = cacheKeys('inv:');
    expect([k.epoch, k.tenant('T'), k.item('I'), k.entry('T', 'I'), k.sku('T', 'S')]).toEqual([
      'inv:epoch',
      'inv:tv:T',
      'inv:iv:I',
      'inv:item:T:I',
      'inv:sku:T:S',
    ]);
  });
});
