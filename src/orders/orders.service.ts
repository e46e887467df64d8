import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { CursorCodec } from '../common/cursor.js';
import {
  AmountOutOfRangeError,
  NotFoundError,
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
import { resolveLines } from '../inventory/line-refs.js';
import { lockStockRows, moveStock, uniqueKeys } from '../inventory/stock.repository.js';
import { movementsOf } from '../ledger/movement.js';
import { ReservationExpiryService } from '../reservations/reservation-expiry.service.js';
import { linesOf, lockReservation, setStatusPart } from '../reservations/reservation.repository.js';
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
  toOrderView,
} from './order.repository.js';
import type { OrderStatus } from './order-transitions.js';
import { type LockedHold, needsHold, planTransition, type TransitionPlan } from './transition-plan.js';

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
    checkOrderShape(dto);
    try {
      return await this.tx.run(async (manager) => {
        // SKUs and warehouse codes become ids first; everything after works on ids.
        const lines = dto.lines && (await resolveLines(manager, ctx.tenantId, dto.lines));
        const priced = dto.prices && (await resolveLines(manager, ctx.tenantId, dto.prices, 'prices'));
        const prices = pricesOf(lines ?? priced!);
        const reservationId = lines
          ? (
              await this.holds.reserveIn(manager, ctx, {
                lines,
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
        await this.audit.record(manager, ctx, {
          action: 'order.created',
          objectType: 'order',
          objectId: view.id,
          newValue: view,
        });
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
    return toPage(
      rows,
      limit,
      (last) => this.cursors.encode(cursorKind(sort), [last.cursor_value!, last.id]),
      toOrderView,
    );
  }

  /**
   * Moves an order along the TRANSITIONS table: locks what the move reads (the
   * order, then, if it moves units, its reservation and their stock rows: the
   * global lock order), plans it (planTransition), writes the plan in one
   * statement and answers. A plan may answer an error after its writes: a
   * confirm that finds the hold lapsed cancels the order, and that commits.
   */
  async transition(ctx: RequestContext, id: string, to: OrderStatus): Promise<OrderView> {
    const answer = await this.tx.run(async (manager) => {
      const order = await lockOrder(manager, ctx.tenantId, id);
      if (!order) throw new NotFoundError('Order');
      const hold = needsHold(order, to) ? await this.lockHold(manager, ctx, order) : undefined;
      const plan = planTransition(order, to, hold);
      const uow = new UnitOfWork(manager);
      this.addPlan(uow, ctx, id, plan);
      await uow.flush();
      if ('error' in plan.answer) return plan.answer;
      return { view: (await findOrder(manager, ctx.tenantId, id))! };
    });
    if ('error' in answer) throw answer.error;
    return answer.view;
  }

  /** The order's reservation, its lines and their stock rows, locked in that order. */
  private async lockHold(manager: EntityManager, ctx: RequestContext, order: LockedOrder): Promise<LockedHold> {
    const reservation = await lockReservation(manager, ctx.tenantId, order.reservation_id);
    if (!reservation) throw new Error(`order ${order.id} has no reservation`);
    const lines = await linesOf(manager, [reservation.id]);
    return { reservation, lines, stock: await lockStockRows(manager, uniqueKeys(lines), { itemsFirst: true }) };
  }

  /**
   * Every row a transition writes: the expiry of a hold that lapsed, the units
   * moved on the locked stock rows, the reservation's status, the order's status
   * and history, the audit rows.
   */
  private addPlan(
    uow: UnitOfWork,
    ctx: RequestContext,
    orderId: string,
    { stock, reservation, order, audit }: TransitionPlan,
  ): void {
    if (reservation?.kind === 'expire') {
      this.expiry.expire(uow, [reservation.reservation], reservation.lines, ctx.requestId);
    }
    if (stock) {
      const note = { type: stock.type, reference: `order:${orderId}`, actor: ctx.actor, request_id: ctx.requestId };
      moveStock(
        uow,
        'held_stock',
        movementsOf(stock.lines, stock.signs, () => note),
      );
    }
    if (reservation?.kind === 'status') {
      uow.add('reservation_status', setStatusPart([reservation.id], reservation.status));
    }
    if (order) addStatusChange(uow, [order], order.from, order.to, ctx.actor, order.reason);
    this.audit.add(uow, AuditService.of(ctx, audit));
  }

  /** An active, unexpired reservation of the tenant that no order uses yet. */
  private async takeOverReservation(
    manager: EntityManager,
    ctx: RequestContext,
    reservationId: string,
  ): Promise<string> {
    const r = await lockReservation(manager, ctx.tenantId, reservationId);
    if (!r) throw new NotFoundError('Reservation');
    if (r.status === 'expired' || (r.status === 'active' && r.lapsed)) {
      throw new ReservationUnavailableError('reservation_expired', 'The reservation has expired');
    }
    if (r.status !== 'active') {
      throw new ReservationUnavailableError('invalid_transition', `A ${r.status} reservation cannot be ordered`);
    }
    const [used] = await sql(manager, 'SELECT 1 FROM orders WHERE reservation_id = $1', [reservationId]);
    if (used)
      throw new ReservationUnavailableError('reservation_in_use', 'The reservation is already used by an order');
    return r.id;
  }
}

/** Either lines (with their prices) or a reservation with prices, and what goes with each. */
function checkOrderShape(dto: CreateOrderDto): void {
  const byLines = dto.lines !== undefined;
  if (byLines === (dto.reservation_id !== undefined)) {
    throw new ValidationFailedError([{ field: 'lines', message: 'give either lines or reservation_id, not both' }]);
  }
  if (!byLines && dto.prices === undefined) {
    throw new ValidationFailedError([{ field: 'prices', message: 'prices are required with reservation_id' }]);
  }
  if (byLines && dto.prices !== undefined) {
    throw new ValidationFailedError([
      { field: 'prices', message: 'prices go with reservation_id; lines carry unit_price' },
    ]);
  }
  if (!byLines && dto.ttl_seconds !== undefined) {
    throw new ValidationFailedError([
      { field: 'ttl_seconds', message: 'ttl_seconds goes with lines; extend the reservation instead' },
    ]);
  }
}

/** Unit prices by item, from the (resolved) lines or prices; one item, one price. */
function pricesOf(lines: { item_id: string; unit_price: number }[]): Map<string, number> {
  const prices = new Map<string, number>();
  for (const p of lines) {
    if (prices.has(p.item_id) && prices.get(p.item_id) !== p.unit_price) {
      throw new ValidationFailedError([{ field: 'unit_price', message: `item ${p.item_id} has two different prices` }]);
    }
    prices.set(p.item_id, p.unit_price);
  }
  return prices;
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
