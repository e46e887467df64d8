import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { type Fill, ItemCache, type ItemRef } from '../cache/item-cache.js';
import type { Versions } from '../cache/cache-entry.js';
import {
  findItemView,
  findItemViewBySku,
  findItemViewsByRefs,
  findItemViewsForCache,
  itemIdsBySku,
  type ItemView,
} from './item.repository.js';

/**
 * Item views by id or SKU, through the shared cache when there is one (see
 * ItemCache) and straight from the database otherwise or when Redis fails: the
 * answers are the same either way. `undefined` for a ref that names no live item
 * of the tenant (not-found answers are never cached).
 */
@Injectable()
export class ItemReads {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: ItemCache,
  ) {}

  async views(tenantId: string, refs: ItemRef[]): Promise<(ItemView | undefined)[]> {
    const probes = await this.cache.probe(tenantId, refs);
    if (!probes) return this.fromDatabase(tenantId, refs);
    const answers: (ItemView | undefined)[] = probes.map((p) => p.view);
    // Misses by item: the versions read before the database, and the refs waiting for the item.
    const misses = new Map<string, { versions: Versions; refs: number[] }>();
    const unresolved: number[] = [];
    probes.forEach((p, k) => {
      if (p.view) return;
      if (p.id === undefined || p.versions === undefined) return unresolved.push(k);
      const miss = misses.get(p.id) ?? { versions: p.versions, refs: [] };
      miss.refs.push(k);
      misses.set(p.id, miss);
    });
    // SKUs Redis knows no item for: their ids from the database, then their versions and entries from Redis.
    const skus = [...new Set(unresolved.map((k) => refs[k]!.sku!))];
    const idsBySku = await itemIdsBySku(this.dataSource.manager, tenantId, skus);
    const pointers = [...idsBySku].map(([sku, id]) => ({ sku, id }));
    const second = unresolved.filter((k) => idsBySku.has(refs[k]!.sku!));
    const reprobes =
      second.length > 0
        ? await this.cache.probe(
            tenantId,
            second.map((k) => ({ id: idsBySku.get(refs[k]!.sku!)! })),
          )
        : [];
    second.forEach((k, j) => {
      const p = reprobes?.[j];
      if (p?.view && p.view.sku === refs[k]!.sku) return (answers[k] = p.view);
      const id = idsBySku.get(refs[k]!.sku!)!;
      // Without a second probe (Redis failed meanwhile) the item is read but not stored.
      const miss = misses.get(id) ?? { versions: p?.versions ?? NO_STORE, refs: [] };
      miss.refs.push(k);
      misses.set(id, miss);
    });
    if (misses.size === 0) {
      if (pointers.length > 0) void this.cache.store(tenantId, [], pointers);
      return answers;
    }
    // One snapshot for every miss, taken after all their versions were read.
    const rows = await findItemViewsForCache(this.dataSource.manager, tenantId, [...misses.keys()]);
    const fills: Fill[] = [];
    const wrongSku: number[] = [];
    for (const { view, holdsUntil } of rows) {
      const miss = misses.get(view.id)!;
      if (miss.versions !== NO_STORE) fills.push({ versions: miss.versions, holdsUntil, view });
      for (const k of miss.refs) {
        const sku = refs[k]!.sku;
        // A SKU's pointer may name the item that had it before a PATCH: ask the database for that SKU.
        if (sku !== undefined && view.sku !== sku) wrongSku.push(k);
        else answers[k] = view;
      }
    }
    // A SKU whose pointer named an item that is gone (deleted): ask the database too.
    for (const [id, miss] of misses) {
      if (!rows.some((r) => r.view.id === id)) wrongSku.push(...miss.refs.filter((k) => refs[k]!.sku !== undefined));
    }
    if (wrongSku.length > 0) {
      const direct = await this.fromDatabase(
        tenantId,
        wrongSku.map((k) => refs[k]!),
      );
      wrongSku.forEach((k, j) => {
        answers[k] = direct[j];
        // The pointer named another item: point it at the one that has the SKU now (not stored: no versions read before).
        if (direct[j]) pointers.push({ sku: refs[k]!.sku!, id: direct[j].id });
      });
    }
    void this.cache.store(tenantId, fills, pointers);
    return answers;
  }

  /** Every ref from one statement, without the cache. */
  private async fromDatabase(tenantId: string, refs: ItemRef[]): Promise<(ItemView | undefined)[]> {
    const manager = this.dataSource.manager;
    if (refs.length === 1) {
      const [ref] = refs as [ItemRef];
      return [
        ref.id !== undefined
          ? await findItemView(manager, tenantId, ref.id)
          : await findItemViewBySku(manager, tenantId, ref.sku),
      ];
    }
    const ids = refs.flatMap((r) => (r.id !== undefined ? [r.id] : []));
    const skus = refs.flatMap((r) => (r.sku !== undefined ? [r.sku] : []));
    const views = await findItemViewsByRefs(manager, tenantId, ids, skus);
    const byId = new Map(views.map((v) => [v.id, v]));
    const bySku = new Map(views.flatMap((v) => (v.sku !== null ? [[v.sku, v] as const] : [])));
    return refs.map((r) => (r.id !== undefined ? byId.get(r.id) : bySku.get(r.sku)));
  }
}

/** The versions of a miss read without a probe: never stored. */
const NO_STORE: Versions = { epoch: '', tenant: '', item: '' };
