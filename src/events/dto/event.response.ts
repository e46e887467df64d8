/** One event of the feed. */
export class EventResponse {
  /** Unique and stable: a consumer that sees it twice (a webhook retried) drops the second. */
  id!: string;
  /** e.g. `stock.changed`, `order.status_changed`. */
  type!: string;
  tenant_id!: string;
  /** The kind of object it is about: `stock`, `reservation`, `order`, `item`, `warehouse`, `webhook`. */
  object_type!: string;
  /** The object's id (the item's for stock events). */
  object_id!: string;
  /** Stock events: the stock row's movement number, in which order to apply them (newer ones win). */
  seq!: number | null;
  /** The request of the change (the same as its audit rows'; sweeps and auto-cancels have their own). */
  request_id!: string;
  /** When the change happened: its transaction's timestamp (ISO-8601 UTC). */
  occurred_at!: string;
  /** What a consumer needs without a second call: the object's state, and for stock the movement and before/after. */
  payload!: Record<string, unknown>;
}
