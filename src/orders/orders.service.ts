import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { type AuditEntry, AuditService } from '../audit/audit.service.js';
import { CursorCodec } from '../common/cursor.js';
import {
  AmountOutOfRangeError,
  NotFoundError,
  ReservationExpiredError,
  ReservationUnavailableError,
  ValidationFailedError,
} from '../common/errors.js';
import { toPage } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import { isPgError, PgCode } from '../common/pg-errors.js';
import type { RequestContext } from '../common/request-context.js';
import { sql, type SqlPart } from '../database/sql.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import type { HoldLine } from '../reservations/allocation.js';
import { type LockedStock, lockStockRows, moveStockPart, stockKey, uniqueKeys } from '../reservations/holds.js';
import { ReservationExpiryService } from '../reservations/reservation-expiry.service.js';
import { linesOf, lockReservation, setStatusPart } from '../reservations/reservation-store.js';
import { ReservationHoldsService } from '../reservations/reservation-holds.service.js';
import type { CreateOrderDto } from './dto/create-order.dto.js';
import type { ListOrdersQuery } from './dto/list-orders.query.js';
import { buildOrderListQuery, cursorKind } from './order-list-query.js';
import {
  findOrder,
  lockOrder,
  type LockedOrder,
  type OrderRow,
  type OrderView,
  addStatusChange,
  statusChangeParts,
  toOrderView,
} from './order-store.js';
import { assertTransition, type OrderStatus, type StockEffect } from './order-transitions.js';

type TransitionOutcome = { order: OrderView } | { expired: true };

@Injectable()
export class OrdersService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly holds: ReservationHoldsService,
    private readonly expiry: ReservationExpiryService,
    private readonly cursors: CursorCodec,
  ) {}

  /** A pending order with its own new reservation, or taking over an existing one; one transaction. */
  async create(ctx: RequestContext, dto: CreateOrderDto): Promise<OrderView> {
    const prices = this.pricesOf(dto);
    try {
      return await this.tx.run(async (manager) => {
        const reservationId = dto.lines
          ? (
              await this.holds.reserveIn(manager, ctx, {
                lines: dto.lines,
                ttlSeconds: dto.ttl_seconds,
                reference: dto.customer_ref ?? null,
              })
            ).id
          : await this.takeOverReservation(manager, ctx, dto.reservation_id!);
        const holds = await linesOf(manager, [reservationId]);
        const missing = [...new Set(holds.map((h) => h.item_id))].filter((id) => !prices.has(id));
        const extra = [...prices.keys()].filter((id) => !holds.some((h) => h.item_id === id));
        if (missing.length || extra.length) {
          throw new ValidationFailedError([
            ...missing.map((id) => ({ field: 'prices', message: `no unit_price for item ${id}` })),
            ...extra.map((id) => ({ field: 'prices', message: `item ${id} is not in the reservation` })),
          ]);
        }
        const total = holds.reduce((sum, h) => sum + BigInt(h.quantity) * BigInt(prices.get(h.item_id)!), 0n);
        if (total > BigInt(Number.MAX_SAFE_INTEGER)) throw new AmountOutOfRangeError();

        // The order, its lines and its first history row: one statement.
        const order = { id: randomUUID(), tenant_id: ctx.tenantId };
        const uow = new UnitOfWork(manager);
        uow.add('new_order', {
          text: `INSERT INTO orders (id, tenant_id, currency, total_amount, customer_ref, reservation_id)
                 VALUES ($1, $2, $3, $4, $5, $6)`,
          params: [order.id, ctx.tenantId, dto.currency, total.toString(), dto.customer_ref ?? null, reservationId],
        });
        uow.add('new_order_lines', orderLinesPart(order.id, ctx.tenantId, holds, prices));
        addStatusChange(uow, [order], null, 'pending', ctx.actor);
        await uow.flush();
        const view = (await findOrder(manager, ctx.tenantId, order.id))!;
        await this.audit.record(manager, ctx, { action: 'order.created', objectType: 'order', objectId: view.id, newValue: view });
        return view;
      });
    } catch (err) {
      // Two orders racing for one reservation: the unique index lets one through.
      if (isPgError(err, PgCode.uniqueViolation, 'orders_reservation_key')) {
        throw new ReservationUnavailableError('reservation_in_use', 'The reservation is already used by an order');
      }
      throw err;
    }
  }

  async get(ctx: RequestContext, id: string): Promise<OrderView> {
    const view = await findOrder(this.dataSource.manager, ctx.tenantId, id);
    if (!view) throw new NotFoundError('Order');
    return view;
  }

  /** One statement, whatever the page size: filters, keyset and lines inline. */
  async list(ctx: RequestContext, query: ListOrdersQuery): Promise<Page<OrderView>> {
    const { text, params, limit, sort } = buildOrderListQuery(ctx.tenantId, query, this.cursors);
    const rows = await this.dataSource.query<OrderRow[]>(text, params);
    return toPage(rows, limit, (last) => this.cursors.encode(cursorKind(sort), [last.cursor_value!, last.id]), toOrderView);
  }

  /**
   * Moves an order along the TRANSITIONS table. The order row is locked first,
   * so racing transitions serialize; the stock effect, the new status, its
   * history and every audit row are then written by one statement, and commit
   * together. Confirming an order whose hold lapsed cancels it (that commits)
   * and then answers reservation_expired.
   */
  async transition(ctx: RequestContext, id: string, to: OrderStatus): Promise<OrderView> {
    const outcome = await this.tx.run<TransitionOutcome>(async (manager) => {
      const order = await lockOrder(manager, ctx.tenantId, id);
      if (!order) throw new NotFoundError('Order');
      const effect = assertTransition(order.status, to);
      const writes = effect ? await this.effectWrites(manager, ctx, order, effect) : NO_WRITES;
      if (writes === HOLD_LAPSED) {
        await this.write(manager, ctx, statusWrites(order, 'cancelled', 'reservation_expired', ctx));
        return { expired: true };
      }
      await this.write(manager, ctx, writes, statusWrites(order, to, null, ctx));
      return { order: (await findOrder(manager, ctx.tenantId, id))! };
    });
    if ('expired' in outcome) throw new ReservationExpiredError('The reservation has expired; the order was cancelled');
    return outcome.order;
  }

  /**
   * What the stock effect of a transition writes, with the reservation and its
   * stock rows locked (in the global order: order, reservation, stock). HOLD_LAPSED
   * when a confirm finds the hold lapsed (it is then expired here, at once).
   */
  private async effectWrites(
    manager: EntityManager,
    ctx: RequestContext,
    order: LockedOrder,
    effect: StockEffect,
  ): Promise<Writes | typeof HOLD_LAPSED> {
    const r = await lockReservation(manager, ctx.tenantId, order.reservation_id);
    if (!r) throw new Error(`order ${order.id} has no reservation`);
    const lines = await linesOf(manager, [r.id]);
    const locked = await lockStockRows(manager, uniqueKeys(lines));
    const holdsAlive = r.status === 'active' && !r.lapsed;

    if (effect === 'restock') return stockWrites('stock.restocked', order.id, lines, locked, { onHand: 1, reserved: 0 });
    if (!holdsAlive) {
      if (r.status === 'active') {
        const uow = new UnitOfWork(manager);
        this.expiry.expire(uow, [r], lines, ctx.requestId);
        await uow.flush();
      }
      if (effect === 'commit_reservation') return HOLD_LAPSED;
      return NO_WRITES; // cancelling: the units already went back when the hold ended
    }
    const released = effect === 'release_reservation';
    const status = released ? 'released' : 'committed';
    // Releasing returns the held units; committing takes them out of the warehouse.
    const stock = released
      ? { entries: [], parts: { held_stock: moveStockPart(lines, { onHand: 0, reserved: -1 }) } }
      : stockWrites('stock.deducted', order.id, lines, locked, { onHand: -1, reserved: -1 });
    return {
      entries: [
        ...stock.entries,
        {
          action: `reservation.${status}`,
          objectType: 'reservation',
          objectId: r.id,
          oldValue: { status: 'active' },
          newValue: { status, order_id: order.id },
        },
      ],
      parts: { ...stock.parts, reservation_status: setStatusPart([r.id], status) },
    };
  }

  /** Every change of a transition and its audit rows: one statement. */
  private async write(manager: EntityManager, ctx: RequestContext, ...writes: Writes[]): Promise<void> {
    const uow = new UnitOfWork(manager);
    for (const w of writes) for (const [name, part] of Object.entries(w.parts)) uow.add(name, part);
    this.audit.add(uow, AuditService.of(ctx, writes.flatMap((w) => w.entries)));
    await uow.flush();
  }

  /** An active, unexpired reservation of the tenant that no order uses yet. */
  private async takeOverReservation(manager: EntityManager, ctx: RequestContext, reservationId: string): Promise<string> {
    const r = await lockReservation(manager, ctx.tenantId, reservationId);
    if (!r) throw new NotFoundError('Reservation');
    if (r.status === 'expired' || (r.status === 'active' && r.lapsed)) {
      throw new ReservationUnavailableError('reservation_expired', 'The reservation has expired');
    }
    if (r.status !== 'active') {
      throw new ReservationUnavailableError('invalid_transition', `A ${r.status} reservation cannot be ordered`);
    }
    const [used] = await sql(manager, 'SELECT 1 FROM orders WHERE reservation_id = $1', [reservationId]);
    if (used) throw new ReservationUnavailableError('reservation_in_use', 'The reservation is already used by an order');
    return r.id;
  }

  /** Unit prices by item, from `lines` or `prices`; one item, one price. */
  private pricesOf(dto: CreateOrderDto): Map<string, number> {
    const byLines = dto.lines !== undefined;
    if (byLines === (dto.reservation_id !== undefined)) {
      throw new ValidationFailedError([{ field: 'lines', message: 'give either lines or reservation_id, not both' }]);
    }
    if (!byLines && dto.prices === undefined) {
      throw new ValidationFailedError([{ field: 'prices', message: 'prices are required with reservation_id' }]);
    }
    if (byLines && dto.prices !== undefined) {
      throw new ValidationFailedError([{ field: 'prices', message: 'prices go with reservation_id; lines carry unit_price' }]);
    }
    if (!byLines && dto.ttl_seconds !== undefined) {
      throw new ValidationFailedError([
        { field: 'ttl_seconds', message: 'ttl_seconds goes with lines; extend the reservation instead' },
      ]);
    }
    const prices = new Map<string, number>();
    for (const p of dto.lines ?? dto.prices!) {
      if (prices.has(p.item_id) && prices.get(p.item_id) !== p.unit_price) {
        throw new ValidationFailedError([{ field: 'unit_price', message: `item ${p.item_id} has two different prices` }]);
      }
      prices.set(p.item_id, p.unit_price);
    }
    return prices;
  }

}

/** Changes a transition makes besides the order row lock: audit entries and statement parts (see sqlParts). */
interface Writes {
  entries: AuditEntry[];
  parts: Record<string, SqlPart>;
}

const NO_WRITES: Writes = { entries: [], parts: {} };

/** A confirm found its hold lapsed. */
const HOLD_LAPSED = Symbol('hold lapsed');

/** The new status of an order, its history row and its audit row. */
function statusWrites(order: LockedOrder, to: OrderStatus, reason: string | null, ctx: RequestContext): Writes {
  return {
    entries: [
      {
        action: 'order.status_changed',
        objectType: 'order',
        objectId: order.id,
        oldValue: { status: order.status },
        newValue: { status: to, ...(reason ? { reason } : {}) },
      },
    ],
    parts: Object.fromEntries(statusChangeParts([order], order.status, to, ctx.actor, reason)),
  };
}

/**
 * Moving the units of a reservation's lines on their locked stock rows, with one
 * audit row per row moved (its quantities before and after, from the locked counts).
 */
function stockWrites(
  action: 'stock.deducted' | 'stock.restocked',
  orderId: string,
  lines: HoldLine[],
  locked: LockedStock[],
  signs: { onHand: -1 | 0 | 1; reserved: -1 | 0 | 1 },
): Writes {
  const quantities = new Map<string, number>();
  for (const l of lines) quantities.set(stockKey(l), (quantities.get(stockKey(l)) ?? 0) + l.quantity);
  return {
    entries: locked.flatMap((s) => {
      const quantity = quantities.get(stockKey(s));
      if (!quantity) return [];
      return [
        {
          action,
          objectType: 'item',
          objectId: s.item_id,
          oldValue: { warehouse_id: s.warehouse_id, on_hand: s.on_hand, reserved: s.reserved },
          newValue: {
            warehouse_id: s.warehouse_id,
            on_hand: s.on_hand + signs.onHand * quantity,
            reserved: s.reserved + signs.reserved * quantity,
            quantity,
            order_id: orderId,
          },
        },
      ];
    }),
    parts: { held_stock: moveStockPart(lines, signs) },
  };
}

function orderLinesPart(orderId: string, tenantId: string, holds: HoldLine[], prices: Map<string, number>): SqlPart {
  return {
    text: `INSERT INTO order_line (order_id, tenant_id, item_id, warehouse_id, quantity, unit_price, line_total)
           SELECT $1, $2, l.item_id, l.warehouse_id, l.quantity, l.unit_price, l.quantity::bigint * l.unit_price
           FROM unnest($3::uuid[], $4::uuid[], $5::int[], $6::bigint[]) AS l(item_id, warehouse_id, quantity, unit_price)`,
    params: [
      orderId,
      tenantId,
      holds.map((h) => h.item_id),
      holds.map((h) => h.warehouse_id),
      holds.map((h) => h.quantity),
      holds.map((h) => prices.get(h.item_id)),
    ],
  };
}
