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
import { sql } from '../database/sql.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { resolveLines } from '../inventory/line-refs.js';
import { type LockedStock, lockStockRows, moveStock, stockKey, uniqueKeys } from '../inventory/stock.repository.js';
import { movementsOf } from '../ledger/movement.js';
import { ReservationExpiryService } from '../reservations/reservation-expiry.service.js';
import { ReservationBatcher } from '../reservations/reservation-batcher.js';
import {
  type HeldLine,
  linesOf,
  lockReservation,
  lockReservations,
  type ReservationView,
  setStatusPart,
} from '../reservations/reservation.repository.js';
import { ReservationHoldsService } from '../reservations/reservation-holds.service.js';
import type { CreateOrderDto } from './dto/create-order.dto.js';
import type { ListOrdersQuery } from './dto/list-orders.query.js';
import { buildOrderListQuery, cursorKind } from './order-list-query.js';
import {
  addNewOrders,
  addStatusChanges,
  findOrder,
  findOrders,
  lockOrder,
  lockOrders,
  type LockedOrder,
  type NewOrder,
  type OrderRow,
  type OrderView,
  toOrderView,
} from './order.repository.js';
import { OrderTransitionBatcher, type TransitionJob, type TransitionOutcome } from './order-transition-batcher.js';
import type { OrderStatus } from './order-transitions.js';
import { type LockedHold, needsHold, planTransition, type StockSigns, type TransitionPlan } from './transition-plan.js';

/** What a transition writes, for whom. */
interface PlannedTransition {
  ctx: RequestContext;
  orderId: string;
  plan: TransitionPlan;
}

@Injectable()
export class OrdersService {
  private readonly transitions: OrderTransitionBatcher;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly holds: ReservationHoldsService,
    private readonly batcher: ReservationBatcher,
    private readonly expiry: ReservationExpiryService,
    private readonly cursors: CursorCodec,
  ) {
    this.transitions = new OrderTransitionBatcher(
      tx,
      (manager, tenantId, jobs) => this.transitionMany(manager, tenantId, jobs),
      (job) => this.transitionOne(job.ctx, job.id, job.to),
    );
  }

  /**
   * A pending order with its own new reservation, or taking over an existing one;
   * one transaction. One with lines is batched with the tenant's concurrent
   * reservations and orders (group commit, see ReservationBatcher), unless the
   * request already runs in a transaction of its own (Idempotency-Key).
   */
  async create(ctx: RequestContext, dto: CreateOrderDto): Promise<OrderView> {
    checkOrderShape(dto);
    if (dto.lines && !TransactionRunner.inTransaction()) return this.createBatched(ctx, dto, dto.lines);
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
        const order = newOrder(ctx, dto, { id: reservationId, lines: holds }, prices, total);
        const uow = new UnitOfWork(manager);
        addOrder(uow, ctx, order);
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

  /**
   * Lines and prices are checked first, as in one transaction; the amount is
   * refused after the stock answers (HoldExtra.refusal), as there. The order, its
   * lines, history and audit row are written by the batch's statement, with the
   * hold; the answer is built from what was written (the batch reads nothing back).
   */
  private async createBatched(
    ctx: RequestContext,
    dto: CreateOrderDto,
    refs: NonNullable<CreateOrderDto['lines']>,
  ): Promise<OrderView> {
    const lines = await resolveLines(this.dataSource.manager, ctx.tenantId, refs);
    const prices = pricesOf(lines);
    const total = lines.reduce((sum, l) => sum + BigInt(l.quantity) * BigInt(l.unit_price), 0n);
    const refusal = total > BigInt(Number.MAX_SAFE_INTEGER) ? { refusal: new AmountOutOfRangeError() } : {};
    return this.batcher.submitWith(
      ctx,
      { lines, ttlSeconds: dto.ttl_seconds, reference: dto.customer_ref ?? null },
      {
        ...refusal,
        write: (uow, reservation) => {
          const order = newOrder(ctx, dto, reservation, prices, total);
          addOrder(uow, ctx, order, reservation.created_at);
          const view = newOrderView(order, reservation, ctx.actor);
          this.audit.add(
            uow,
            AuditService.of(ctx, { action: 'order.created', objectType: 'order', objectId: view.id, newValue: view }),
          );
          return view;
        },
      },
    );
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
    // Batched with the tenant's concurrent transitions, unless the request has a transaction of its own.
    if (TransactionRunner.inTransaction()) return this.transitionOne(ctx, id, to);
    return this.transitions.submit({ ctx, id, to });
  }

  /** One transition in its own transaction (a savepoint of an Idempotency-Key request's). */
  private async transitionOne(ctx: RequestContext, id: string, to: OrderStatus): Promise<OrderView> {
    const answer = await this.tx.run(async (manager) => {
      const order = await lockOrder(manager, ctx.tenantId, id);
      if (!order) throw new NotFoundError('Order');
      const hold = needsHold(order, to) ? await this.lockHold(manager, ctx, order) : undefined;
      const plan = planTransition(order, to, hold);
      const uow = new UnitOfWork(manager);
      this.addPlans(uow, [{ ctx, orderId: id, plan }]);
      await uow.flush();
      if ('error' in plan.answer) return plan.answer;
      return { view: (await findOrder(manager, ctx.tenantId, id))! };
    });
    if ('error' in answer) throw answer.error;
    return answer.view;
  }

  /**
   * Transitions of one tenant on one transaction, as if one ran after the other
   * in arrival order: every order, then their reservations, their lines and
   * their stock rows, locked once each (the global lock order, each kind in one
   * sorted statement); each planned by planTransition on the counts the earlier
   * ones left; every plan written in one statement; the moved orders read in
   * one. A second move of an order the batch moves, and a move whose hold
   * expires now (its expiry writes parts of its own), are left to run alone.
   */
  private async transitionMany(
    manager: EntityManager,
    tenantId: string,
    jobs: TransitionJob[],
  ): Promise<TransitionOutcome[]> {
    const orders = new Map(
      (await lockOrders(manager, tenantId, [...new Set(jobs.map((j) => j.id))])).map((o) => [o.id, o]),
    );
    const holdIds = [
      ...new Set(
        jobs.flatMap((j) => {
          const o = orders.get(j.id);
          return o && needsHold(o, j.to) ? [o.reservation_id] : [];
        }),
      ),
    ];
    const reservations = new Map((await lockReservations(manager, tenantId, holdIds)).map((r) => [r.id, r]));
    const lines = await linesOf(manager, holdIds);
    const counts = new Map(
      (await lockStockRows(manager, uniqueKeys(lines), { itemsFirst: true })).map((s) => [stockKey(s), s]),
    );

    const planned: PlannedTransition[] = [];
    const moved = new Set<string>();
    const outcomes = jobs.map((job): TransitionOutcome | PlannedTransition => {
      const order = orders.get(job.id);
      if (!order) return { error: new NotFoundError('Order') };
      if (moved.has(order.id)) return { alone: true };
      let hold: LockedHold | undefined;
      if (needsHold(order, job.to)) {
        const reservation = reservations.get(order.reservation_id);
        if (!reservation) throw new Error(`order ${order.id} has no reservation`);
        const own = lines.filter((l) => l.reservation_id === reservation.id);
        hold = { reservation, lines: own, stock: countsOf(counts, own) };
      }
      const plan = planTransition(order, job.to, hold);
      if (plan.reservation?.kind === 'expire') return { alone: true };
      if (plan.order) moved.add(order.id);
      if (plan.stock) applyMove(counts, plan.stock.lines, plan.stock.signs);
      const item = { ctx: job.ctx, orderId: order.id, plan };
      planned.push(item);
      return item;
    });
    const uow = new UnitOfWork(manager);
    this.addPlans(uow, planned);
    await uow.flush();
    const done = planned.filter((p) => !('error' in p.plan.answer)).map((p) => p.orderId);
    const views = new Map((await findOrders(manager, tenantId, done)).map((v) => [v.id, v]));
    return outcomes.map((o) => {
      if (!('plan' in o)) return o;
      const { answer } = o.plan;
      return 'error' in answer ? { error: answer.error } : { view: views.get(o.orderId)! };
    });
  }

  /** The order's reservation, its lines and their stock rows, locked in that order. */
  private async lockHold(manager: EntityManager, ctx: RequestContext, order: LockedOrder): Promise<LockedHold> {
    const reservation = await lockReservation(manager, ctx.tenantId, order.reservation_id);
    if (!reservation) throw new Error(`order ${order.id} has no reservation`);
    const lines = await linesOf(manager, [reservation.id]);
    return { reservation, lines, stock: await lockStockRows(manager, uniqueKeys(lines), { itemsFirst: true }) };
  }

  /**
   * Every row the transitions write, each kind in one part: the expiry of a hold
   * that lapsed (one per unit of work: its parts are its own), the units moved
   * on the locked stock rows, the reservations' statuses, the orders' statuses
   * and history, the audit rows.
   */
  private addPlans(uow: UnitOfWork, planned: PlannedTransition[]): void {
    for (const { ctx, plan } of planned) {
      const { reservation } = plan;
      if (reservation?.kind === 'expire') {
        this.expiry.expire(uow, [reservation.reservation], reservation.lines, ctx.requestId);
      }
    }
    const movements = planned.flatMap(({ ctx, orderId, plan: { stock } }) => {
      if (!stock) return [];
      const note = { type: stock.type, reference: `order:${orderId}`, actor: ctx.actor, request_id: ctx.requestId };
      return movementsOf(stock.lines, stock.signs, () => note);
    });
    if (movements.length > 0) moveStock(uow, 'held_stock', movements);
    for (const status of ['committed', 'released'] as const) {
      const ids = planned.flatMap(({ plan: { reservation: r } }) =>
        r?.kind === 'status' && r.status === status ? [r.id] : [],
      );
      if (ids.length > 0) uow.add(`reservation_${status}`, setStatusPart(ids, status));
    }
    addStatusChanges(
      uow,
      planned.flatMap(({ ctx, plan: { order } }) =>
        order
          ? [
              {
                id: order.id,
                tenant_id: order.tenant_id,
                from: order.from,
                to: order.to,
                actor: ctx.actor,
                reason: order.reason,
              },
            ]
          : [],
      ),
    );
    this.audit.add(
      uow,
      planned.flatMap(({ ctx, plan }) => AuditService.of(ctx, plan.audit)),
    );
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

/** The order to insert for a hold: its lines are the hold's, priced. */
function newOrder(
  ctx: RequestContext,
  dto: CreateOrderDto,
  hold: { id: string; lines: NewOrder['lines'] },
  prices: Map<string, number>,
  total: bigint,
): NewOrder {
  return {
    id: randomUUID(),
    tenant_id: ctx.tenantId,
    currency: dto.currency,
    total_amount: total,
    customer_ref: dto.customer_ref ?? null,
    reservation_id: hold.id,
    lines: hold.lines,
    prices,
  };
}

/** The order, its lines and its first history row (at `at`, when the answer says so before the write). */
function addOrder(uow: UnitOfWork, ctx: RequestContext, order: NewOrder, at?: string): void {
  addNewOrders(uow, [order]);
  addStatusChanges(uow, [
    { id: order.id, tenant_id: order.tenant_id, from: null, to: 'pending', actor: ctx.actor, reason: null, at },
  ]);
}

/**
 * The new order as findOrder reads it once it is written: stamped with the
 * reservation's timestamp, the transaction's now(), as the database stamps the
 * order (and addOrder its history row); lines in the reservation's order, (item, warehouse).
 */
function newOrderView(order: NewOrder, reservation: ReservationView, actor: string): OrderView {
  const at = reservation.created_at;
  return {
    id: order.id,
    status: 'pending',
    currency: order.currency,
    total_amount: Number(order.total_amount),
    customer_ref: order.customer_ref,
    reservation_id: order.reservation_id,
    created_at: at,
    updated_at: at,
    lines: order.lines.map((l) => {
      const unitPrice = order.prices.get(l.item_id)!;
      return { ...l, unit_price: unitPrice, line_total: l.quantity * unitPrice };
    }),
    history: [{ from: null, to: 'pending', at, actor, reason: null }],
  };
}

/** The locked counts of the stock rows of `lines`, as they are now (copies: the batch moves them on). */
function countsOf(counts: Map<string, LockedStock>, lines: HeldLine[]): LockedStock[] {
  return uniqueKeys(lines).flatMap((k) => {
    const s = counts.get(stockKey(k));
    return s ? [{ ...s }] : [];
  });
}

/** Moves the locked counts as a plan moves the rows, for the plans after it. */
function applyMove(counts: Map<string, LockedStock>, lines: HeldLine[], signs: StockSigns): void {
  for (const l of lines) {
    const s = counts.get(stockKey(l));
    if (!s) continue;
    s.on_hand += signs.onHand * l.quantity;
    s.reserved += signs.reserved * l.quantity;
  }
}
