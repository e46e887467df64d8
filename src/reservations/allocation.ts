/** A line as the caller asked for it. */
export interface RequestedLine {
  item_id: string;
  quantity: number;
  warehouse_id?: string;
}

/** Units held on one stock row. */
export interface HoldLine {
  item_id: string;
  warehouse_id: string;
  quantity: number;
}

export interface StockLevel {
  item_id: string;
  warehouse_id: string;
  available: number;
  /** The warehouse's allocation priority: lower first. */
  priority: number;
  /** false: lines that name no warehouse take nothing from it (an inactive warehouse); default true. */
  active?: boolean;
}

export interface Shortage {
  item_id: string;
  warehouse_id?: string;
  requested: number;
  available: number;
}

export interface Allocation {
  holds: HoldLine[];
  shortages: Shortage[];
}

const key = (itemId: string, warehouseId?: string) => `${itemId}/${warehouseId ?? '*'}`;

/** Lines for the same item and warehouse (or the same item with no warehouse) become one. */
export function mergeLines(lines: RequestedLine[]): RequestedLine[] {
  const merged = new Map<string, RequestedLine>();
  for (const line of lines) {
    const k = key(line.item_id, line.warehouse_id);
    const existing = merged.get(k);
    if (existing) existing.quantity += line.quantity;
    else merged.set(k, { ...line });
  }
  return [...merged.values()];
}

/**
 * Decides which stock rows a request's (merged) lines take their units from.
 * Lines naming a warehouse are served first from that warehouse; the others are
 * spread over the item's active warehouses in priority order (then by id), split
 * where one is not enough (a line naming an inactive warehouse is refused before
 * this). All or nothing: any shortage is reported, per line.
 */
export function allocate(lines: RequestedLine[], stock: StockLevel[]): Allocation {
  const remaining = new Map(stock.map((s) => [key(s.item_id, s.warehouse_id), s.available]));
  const holds = new Map<string, HoldLine>();
  const shortages: Shortage[] = [];
  const take = (itemId: string, warehouseId: string, quantity: number) => {
    const k = key(itemId, warehouseId);
    remaining.set(k, (remaining.get(k) ?? 0) - quantity);
    const hold = holds.get(k);
    if (hold) hold.quantity += quantity;
    else holds.set(k, { item_id: itemId, warehouse_id: warehouseId, quantity });
  };

  for (const line of lines.filter((l) => l.warehouse_id !== undefined)) {
    const available = Math.max(0, remaining.get(key(line.item_id, line.warehouse_id)) ?? 0);
    if (available < line.quantity) {
      shortages.push({ item_id: line.item_id, warehouse_id: line.warehouse_id, requested: line.quantity, available });
    } else {
      take(line.item_id, line.warehouse_id!, line.quantity);
    }
  }

  for (const line of lines.filter((l) => l.warehouse_id === undefined)) {
    const rows = stock
      .filter((s) => s.item_id === line.item_id && s.active !== false)
      .sort((a, b) => a.priority - b.priority || (a.warehouse_id < b.warehouse_id ? -1 : 1));
    const available = rows.reduce((sum, s) => sum + Math.max(0, remaining.get(key(s.item_id, s.warehouse_id)) ?? 0), 0);
    if (available < line.quantity) {
      shortages.push({ item_id: line.item_id, requested: line.quantity, available });
      continue;
    }
    let needed = line.quantity;
    for (const row of rows) {
      const free = Math.max(0, remaining.get(key(row.item_id, row.warehouse_id)) ?? 0);
      const quantity = Math.min(free, needed);
      if (quantity > 0) take(row.item_id, row.warehouse_id, quantity);
      needed -= quantity;
      if (needed === 0) break;
    }
  }

  return { holds: shortages.length ? [] : [...holds.values()], shortages };
}
