import type { AuditedEntry } from '../audit/audit.service.js';

/** An event as the outbox stores it, before it has an id. */
export interface NewEvent {
  tenant_id: string;
  type: string;
  object_type: string;
  object_id: string;
  request_id: string;
  payload: unknown;
}

/**
 * The audit actions that are events too, under the same name. Stock events are
 * not among them: they come from the ledger's movements (see stockEventsPart),
 * one per movement, which say more than the audit rows do.
 */
export const EVENT_ACTIONS: ReadonlySet<string> = new Set([
  'reservation.created',
  'reservation.extended',
  'reservation.released',
  'reservation.expired',
  'reservation.committed',
  'order.created',
  'order.status_changed',
  'item.created',
  'item.updated',
  'item.deleted',
  'warehouse.created',
  'warehouse.updated',
]);

/** Every event type a consumer can ask for. */
export const EVENT_TYPES = [
  'stock.changed',
  'stock.out_of_stock',
  'stock.back_in_stock',
  'stock.low',
  ...EVENT_ACTIONS,
  'webhook.disabled',
] as const;

/**
 * The events of a change's audit entries: the object's new state (and what it
 * was, where the audit row has it), so that a consumer needs no second call.
 */
export function eventsOfAudit(entries: AuditedEntry[]): NewEvent[] {
  return entries
    .filter((e) => EVENT_ACTIONS.has(e.action))
    .map((e) => ({
      tenant_id: e.tenantId,
      type: e.action,
      object_type: e.objectType,
      object_id: e.objectId,
      request_id: e.requestId,
      payload: {
        ...(e.oldValue !== undefined && e.oldValue !== null ? { previous: e.oldValue } : {}),
        ...(isObject(e.newValue) ? e.newValue : { value: e.newValue ?? null }),
        actor: e.actor,
      },
    }));
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
