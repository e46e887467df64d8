import { prng, sleep } from '../../support/util.js';
import { checkLedger } from '../../../src/ledger/ledger-check.js';
import { call, withClient, type Answer } from './harness.js';

// A mixed load over HTTP (reservations, releases, orders, confirms, cancels,
// stock adjustments) that remembers every request and its answer, and the
// checks that the database, after whatever happened, agrees with it.

export type Op = 'reserve' | 'release' | 'order' | 'confirm' | 'cancel' | 'process' | 'adjust';

export interface Entry {
  op: Op;
  requestId: string;
  status: number;
  error?: string;
  /** reservation / order id the request created or acted on */
  id?: string;
  delta?: number;
  to?: string;
  ms: number;
}

export interface LoadOptions {
  /** Instances to spread requests over (round robin). */
  bases: string[];
  key: string;
  items: string[];
  seed: number;
  workers: number;
  /** Hard bounds: the load stops at whichever comes first (or at stop()). */
  maxRequests: number;
  maxMs: number;
  prefix: string;
  /** ttl_seconds for new holds (default: the service's). */
  ttl?: (random: () => number) => number | undefined;
  weights?: Partial<Record<Op, number>>;
}

const DEFAULT_WEIGHTS: Record<Op, number> = {
  reserve: 25,
  release: 15,
  order: 20,
  confirm: 15,
  cancel: 10,
  process: 5,
  adjust: 10,
};

export class MixedLoad {
  readonly ledger: Entry[] = [];
  private readonly reservations: string[] = [];
  private readonly pending: string[] = [];
  private readonly confirmed: string[] = [];
  private stopped = false;
  private finished = false;
  private counter = 0;
  private running?: Promise<void>;

  constructor(private readonly o: LoadOptions) {}

  start(): this {
    const deadline = Date.now() + this.o.maxMs;
    this.running = Promise.all(Array.from({ length: this.o.workers }, (_, w) => this.worker(w, deadline))).then(() => {
      this.finished = true;
    });
    return this;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.running;
  }

  /** Resolves when at least `n` requests (in all) got an answer, or the load ended (stopped, or its bounds reached). */
  async answered(n: number): Promise<void> {
    while (!this.stopped && !this.finished && this.ledger.filter((e) => e.status > 0).length < n) await sleep(20);
  }

  private async worker(w: number, deadline: number): Promise<void> {
    const random = prng(this.o.seed * 1000 + w);
    const weights = { ...DEFAULT_WEIGHTS, ...this.o.weights };
    const ops = Object.entries(weights).flatMap(([op, n]) => Array.from({ length: n }, () => op as Op));
    const pickFrom = (list: string[]) =>
      list.length ? list.splice(Math.floor(random() * list.length), 1)[0] : undefined;
    while (!this.stopped && Date.now() < deadline && this.counter < this.o.maxRequests) {
      const n = this.counter++;
      const base = this.o.bases[n % this.o.bases.length]!;
      const requestId = `${this.o.prefix}-${n}`;
      const op = ops[Math.floor(random() * ops.length)]!;
      const lines = () => {
        const count = 1 + Math.floor(random() * 2);
        const start = Math.floor(random() * this.o.items.length);
        return Array.from({ length: count }, (_, i) => ({
          item_id: this.o.items[(start + i) % this.o.items.length]!,
          quantity: 1 + Math.floor(random() * 3),
        }));
      };
      const ttl = this.o.ttl?.(random);
      let entry: Entry;
      const send = async (method: string, path: string, body?: unknown) =>
        call(base, method, path, this.o.key, body, requestId);
      const record = (a: Answer, extra: Partial<Entry>): Entry => ({
        op,
        requestId,
        status: a.status,
        error: a.body?.error ?? a.error,
        ms: a.ms,
        ...extra,
      });

      if (op === 'reserve') {
        const a = await send('POST', '/api/reservations', { lines: lines(), ...(ttl ? { ttl_seconds: ttl } : {}) });
        entry = record(a, { id: a.body?.data?.id });
        if (a.status === 201) this.reservations.push(a.body.data.id);
      } else if (op === 'release') {
        const id = pickFrom(this.reservations);
        if (!id) continue;
        const a = await send('POST', `/api/reservations/${id}/release`);
        entry = record(a, { id });
        if (a.status === 0 || a.status >= 500) this.reservations.push(id);
      } else if (op === 'order') {
        const a = await send('POST', '/api/orders', {
          currency: 'EUR',
          lines: lines().map((l) => ({ ...l, unit_price: 100 })),
          ...(ttl ? { ttl_seconds: ttl } : {}),
        });
        entry = record(a, { id: a.body?.data?.id });
        if (a.status === 201) this.pending.push(a.body.data.id);
      } else if (op === 'confirm' || op === 'cancel' || op === 'process') {
        const fromPending = op === 'confirm' || (op === 'cancel' && random() < 0.5);
        const id = pickFrom(fromPending ? this.pending : this.confirmed);
        if (!id) continue;
        const to = op === 'confirm' ? 'confirmed' : op === 'cancel' ? 'cancelled' : 'processing';
        const a = await send('POST', `/api/orders/${id}/transitions`, { to });
        entry = record(a, { id, to });
        if (a.status === 200 && to === 'confirmed') this.confirmed.push(id);
        if (a.status === 0 || a.status >= 500) (fromPending ? this.pending : this.confirmed).push(id);
      } else {
        const item = this.o.items[Math.floor(random() * this.o.items.length)]!;
        const delta = (random() < 0.5 ? -1 : 1) * (1 + Math.floor(random() * 5));
        const a = await send('PATCH', `/api/items/${item}/qty`, { delta });
        entry = record(a, { id: item, delta });
      }
      this.ledger.push(entry);
      if (entry.status === 0 || entry.status === 503) await sleep(50); // the service or its database is down: do not spin
    }
  }
}

export interface Figures {
  requests: number;
  ok: number;
  client: number;
  server: number;
  none: number;
}

export function figures(entries: { status: number }[]): Figures {
  return {
    requests: entries.length,
    ok: entries.filter((e) => e.status >= 200 && e.status < 300).length,
    client: entries.filter((e) => e.status >= 400 && e.status < 500).length,
    server: entries.filter((e) => e.status >= 500).length,
    none: entries.filter((e) => e.status === 0).length,
  };
}

export function summary(name: string, f: Figures, violations: number, extra = ''): string {
  return `[faults] ${name}: requests ${f.requests}, 2xx ${f.ok}, 4xx ${f.client}, 5xx ${f.server}, invariant violations ${violations}${extra}`;
}

/**
 * Every invariant the service promises, checked in the database against the
 * ledger of what the clients were told. Returns the violations (empty: all hold).
 */
export interface Verdict {
  violations: string[];
  /** What `npm run verify` says of the tenant's books: rows, movements, rows the ledger does not explain. */
  ledgerLine: string;
  /**
   * Refused reservations (400 insufficient_stock) under whose request id lapsed holds
   * were expired and committed. Not counted as violations: those holds had already
   * lapsed (every read showed them expired), and freeing them is what the sweeper
   * would have done. Since reservations are group-committed (ReservationBatcher),
   * the batch commits that expiry even when the request that found the row short
   * is refused; before, the request's rollback undid it. Reported, for a decision.
   */
  refusedWithExpiries: number;
}

export async function verify(
  url: string,
  tenantId: string,
  initial: Map<string, number>,
  ledger: Entry[],
): Promise<Verdict> {
  return withClient(url, async (c) => {
    const violations: string[] = [];
    let refusedWithExpiries = 0;
    const q = async <T = any>(text: string, params: unknown[] = []) => (await c.query(text, params)).rows as T[];

    // 1. reserved is exactly what active holds hold, on every stock row.
    for (const r of await q(
      `SELECT s.item_id, s.warehouse_id, s.on_hand, s.reserved,
              COALESCE((SELECT sum(l.quantity) FROM reservation_line l JOIN reservation x ON x.id = l.reservation_id
                        WHERE l.item_id = s.item_id AND l.warehouse_id = s.warehouse_id AND x.status = 'active'), 0)::int AS held
       FROM stock s WHERE s.tenant_id = $1`,
      [tenantId],
    )) {
      if (r.reserved !== r.held || r.reserved < 0 || r.reserved > r.on_hand)
        violations.push(`stock ${r.item_id}: reserved ${r.reserved}, active holds ${r.held}, on_hand ${r.on_hand}`);
    }

    // 2. on_hand = initial + accepted adjustments - confirmed-and-not-cancelled deductions, and the audit trail adds up to it too.
    for (const r of await q(
      `SELECT s.item_id, s.on_hand,
              COALESCE((SELECT sum((a.new_value->>'delta')::int) FROM audit_log a
                        WHERE a.tenant_id = $1 AND a.action = 'stock.adjusted' AND a.object_id = s.item_id), 0)::int AS adjusted,
              COALESCE((SELECT sum((a.new_value->>'quantity')::int) FROM audit_log a
                        WHERE a.tenant_id = $1 AND a.action = 'stock.deducted' AND a.object_id = s.item_id), 0)::int AS deducted,
              COALESCE((SELECT sum((a.new_value->>'quantity')::int) FROM audit_log a
                        WHERE a.tenant_id = $1 AND a.action = 'stock.restocked' AND a.object_id = s.item_id), 0)::int AS restocked,
              COALESCE((SELECT sum(l.quantity) FROM order_line l JOIN orders o ON o.id = l.order_id
                        WHERE l.item_id = s.item_id AND o.status IN ('confirmed', 'processing', 'shipped', 'delivered')), 0)::int AS shipped_out
       FROM stock s WHERE s.tenant_id = $1`,
      [tenantId],
    )) {
      const start = initial.get(r.item_id);
      if (start === undefined) continue;
      if (r.on_hand !== start + r.adjusted - r.shipped_out) {
        violations.push(
          `item ${r.item_id}: on_hand ${r.on_hand} != initial ${start} + adjustments ${r.adjusted} - confirmed orders ${r.shipped_out}`,
        );
      }
      if (r.on_hand !== start + r.adjusted - r.deducted + r.restocked) {
        violations.push(
          `item ${r.item_id}: on_hand ${r.on_hand} != audit trail ${start} + ${r.adjusted} - ${r.deducted} + ${r.restocked}`,
        );
      }
    }

    // 3. Every answer the clients got is true in the database.
    const auditByRequest = new Map<string, { action: string; object_id: string; new_value: any }[]>();
    for (const a of await q<{ request_id: string; action: string; object_id: string; new_value: any }>(
      'SELECT request_id, action, object_id, new_value FROM audit_log WHERE tenant_id = $1',
      [tenantId],
    )) {
      auditByRequest.set(a.request_id, [...(auditByRequest.get(a.request_id) ?? []), a]);
    }
    const reservations = new Map(
      (
        await q<{ id: string; status: string }>('SELECT id, status FROM reservation WHERE tenant_id = $1', [tenantId])
      ).map((r) => [r.id, r.status]),
    );
    const orders = new Map(
      (await q<{ id: string; status: string }>('SELECT id, status FROM orders WHERE tenant_id = $1', [tenantId])).map(
        (o) => [o.id, o.status],
      ),
    );
    for (const e of ledger) {
      const audit = auditByRequest.get(e.requestId) ?? [];
      const has = (action: string, objectId?: string) =>
        audit.some((a) => a.action === action && (!objectId || a.object_id === objectId));
      if (e.status >= 400 && e.status < 500 && audit.length > 0) {
        const expiriesOnly =
          e.op === 'reserve' || e.op === 'order'
            ? audit.every(
                (a) =>
                  a.action === 'reservation.expired' ||
                  (a.action === 'order.status_changed' && a.new_value?.reason === 'reservation_expired'),
              )
            : false;
        if (expiriesOnly) refusedWithExpiries++;
        else
          violations.push(
            `${e.op} ${e.requestId} answered ${e.status} but wrote ${audit.map((a) => a.action).join(', ')}`,
          );
      }
      if (e.status < 200 || e.status >= 300) continue;
      if (e.op === 'reserve' && (!reservations.has(e.id!) || !has('reservation.created', e.id)))
        violations.push(`reservation ${e.id} (201, ${e.requestId}) missing or unaudited`);
      if (e.op === 'order' && (!orders.has(e.id!) || !has('order.created', e.id)))
        violations.push(`order ${e.id} (201, ${e.requestId}) missing or unaudited`);
      if (e.op === 'adjust' && !audit.some((a) => a.action === 'stock.adjusted' && a.new_value?.delta === e.delta))
        violations.push(`adjustment ${e.requestId} (200) unaudited`);
      if (
        ['confirm', 'cancel', 'process'].includes(e.op) &&
        !audit.some((a) => a.action === 'order.status_changed' && a.new_value?.status === e.to)
      ) {
        violations.push(`transition ${e.requestId} of ${e.id} to ${e.to} (200) unaudited`);
      }
      if (e.op === 'release' && !['released', 'expired'].includes(reservations.get(e.id!) ?? ''))
        violations.push(`release ${e.requestId} (200) but ${e.id} is ${reservations.get(e.id!)}`);
    }

    // 4. Every change has its audit row: one created row per reservation and order,
    //    one row per status change, exactly one ending per ended hold.
    const counts = await q<{ action: string; object_id: string; n: number }>(
      `SELECT action, object_id, count(*)::int AS n FROM audit_log WHERE tenant_id = $1 GROUP BY 1, 2`,
      [tenantId],
    );
    const count = (action: string, id: string) => counts.find((c) => c.action === action && c.object_id === id)?.n ?? 0;
    for (const [id, status] of reservations) {
      if (count('reservation.created', id) !== 1)
        violations.push(`reservation ${id}: ${count('reservation.created', id)} created rows`);
      const endings = {
        released: count('reservation.released', id),
        expired: count('reservation.expired', id),
        committed: count('reservation.committed', id),
      };
      const total = endings.released + endings.expired + endings.committed;
      if (status === 'active' ? total !== 0 : total !== 1 || endings[status as keyof typeof endings] !== 1) {
        violations.push(`reservation ${id} is ${status} with endings ${JSON.stringify(endings)}`);
      }
    }
    const history = await q<{ order_id: string; n: number }>(
      `SELECT order_id, count(*)::int AS n FROM order_status_history WHERE tenant_id = $1 AND from_status IS NOT NULL GROUP BY 1`,
      [tenantId],
    );
    for (const [id] of orders) {
      if (count('order.created', id) !== 1) violations.push(`order ${id}: ${count('order.created', id)} created rows`);
      const changes = history.find((h) => h.order_id === id)?.n ?? 0;
      if (count('order.status_changed', id) !== changes)
        violations.push(`order ${id}: ${changes} status changes, ${count('order.status_changed', id)} audited`);
    }

    // 5. The stock ledger explains every unit (what `npm run verify` checks), and every
    //    successful reservation and adjustment has its movements under its request id.
    const books = await checkLedger(
      { query: async (text: string, params?: unknown[]) => q(text, params) } as never,
      tenantId,
    );
    for (const p of books.problems)
      violations.push(`ledger: stock ${p.item_id}/${p.warehouse_id}: ${p.problems.join('; ')}`);
    const moved = new Map(
      (
        await q<{ request_id: string; types: string[] }>(
          `SELECT request_id, array_agg(DISTINCT type) AS types FROM stock_movement WHERE tenant_id = $1 GROUP BY 1`,
          [tenantId],
        )
      ).map((m) => [m.request_id, m.types]),
    );
    for (const e of ledger) {
      const types = moved.get(e.requestId) ?? [];
      if (e.status >= 200 && e.status < 300 && e.op === 'reserve' && !types.includes('reserved'))
        violations.push(`reservation ${e.id} (201, ${e.requestId}) has no movement`);
      if (e.status >= 200 && e.status < 300 && e.op === 'adjust' && !types.includes('adjusted'))
        violations.push(`adjustment ${e.requestId} (200) has no movement`);
      if (e.status >= 400 && e.status < 500 && types.some((t) => t !== 'expired'))
        violations.push(`${e.op} ${e.requestId} answered ${e.status} but moved stock (${types.join(', ')})`);
    }
    const ledgerLine = `${books.stock_rows} stock rows, ${books.movements} movements, ${books.problems.length} not explained`;
    return { violations, refusedWithExpiries, ledgerLine };
  });
}
