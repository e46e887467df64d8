import { Injectable, Logger } from '@nestjs/common';
import cluster from 'node:cluster';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { oldestLapsedAgeSeconds } from '../reservations/reservation.repository.js';
import { routeTemplate } from '../common/route-template.js';
import { ServiceUnavailableError } from '../common/errors.js';
import { endpointCountsByState, ENDPOINT_STATES } from '../webhooks/webhook.repository.js';
import { clusterScrape, shareMetricsWithPrimary } from './cluster-metrics.js';

/** Node.js process metrics are per process, not per application instance: registered once. */
let processRegistry: Registry | undefined;
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The pg Pool behind TypeORM's postgres driver. */
interface PgPool {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
  options?: { max?: number };
}

const SCRAPE_QUERY_TIMEOUT_MS = 2000;

/**
 * Prometheus metrics of one application instance: HTTP timings, business event
 * counters (fed by BusinessEvents from committed audit rows), and gauges read on
 * scrape (oldest unswept expired hold, database pool).
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  private readonly logger = new Logger('Metrics');

  private readonly httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP requests by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly reservationsCreatedTotal = this.counter(
    'inventory_reservations_created_total',
    'Reservations created (by the API or by orders)',
  );
  private readonly reservationsReleasedTotal = this.counter(
    'inventory_reservations_released_total',
    'Reservations released before their expiry (by the API or by cancelling a pending order)',
  );
  private readonly reservationsExpiredTotal = this.counter(
    'inventory_reservations_expired_total',
    'Reservations expired (by the sweeper or when met lapsed)',
  );
  private readonly reservationsCommittedTotal = this.counter(
    'inventory_reservations_committed_total',
    'Reservations committed by confirming their order',
  );
  private readonly insufficientStock = new Counter({
    name: 'inventory_insufficient_stock_total',
    help: 'Requests refused with insufficient_stock, by route template',
    labelNames: ['route'] as const,
    registers: [this.registry],
  });
  private readonly orderTransitions = new Counter({
    name: 'inventory_order_transitions_total',
    help: 'Order status changes; from="none" is a new order',
    labelNames: ['from', 'to'] as const,
    registers: [this.registry],
  });
  private readonly sweeps = new Counter({
    name: 'inventory_expiry_sweeps_total',
    help: 'Scheduled runs of the reservation expiry sweeper, by outcome (ok, error)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly webhookAttempts = new Counter({
    name: 'inventory_webhook_delivery_attempts_total',
    help: 'Webhook deliveries sent by this instance, by outcome (succeeded: a 2xx; failed: anything else)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly webhookEndpointsDisabled = this.counter(
    'inventory_webhook_endpoints_disabled_total',
    'Webhook endpoints the relay of this instance disabled after failing too long (webhook.disabled)',
  );

  constructor(private readonly dataSource: DataSource) {
    // Series of known outcomes exist from the start, at 0: an alert on increase(…{outcome="error"}) or a
    // ratio of failed to all works before the first failure (Prometheus' advice for labelled counters).
    for (const outcome of ['ok', 'error']) this.sweeps.inc({ outcome }, 0);
    for (const outcome of ['succeeded', 'failed']) this.webhookAttempts.inc({ outcome }, 0);
    // prom-client calls collect() on every scrape; the gauges read this service's state.
    const oldest: Gauge = new Gauge({
      name: 'inventory_expired_holds_oldest_age_seconds',
      help: 'Seconds since the oldest active reservation past its expiry was due (0: none waits for the sweeper)',
      registers: [this.registry],
      // Read from the database, the same in every worker: not a sum (see cluster-metrics.ts).
      aggregator: 'max',
      collect: async () => {
        const age = await this.measured('oldest expired hold', () => oldestLapsedAgeSeconds(this.dataSource));
        oldest.set(age ?? Number.NaN);
      },
    });
    const endpoints: Gauge<'state'> = new Gauge({
      name: 'inventory_webhook_endpoints',
      help: 'Webhook endpoints of every tenant by state: healthy, failing (being retried), disabled (by the relay), inactive (by their tenant)',
      labelNames: ['state'] as const,
      registers: [this.registry],
      aggregator: 'max',
      collect: async () => {
        const counts = await this.measured('webhook endpoints', () => endpointCountsByState(this.dataSource));
        for (const state of ENDPOINT_STATES) endpoints.set({ state }, counts?.[state] ?? Number.NaN);
      },
    });
    const poolGauge = (name: string, help: string, read: (pool: PgPool) => number | undefined) => {
      const gauge: Gauge = new Gauge({
        name,
        help,
        registers: [this.registry],
        collect: () => {
          const pool = this.pool();
          gauge.set((pool && read(pool)) ?? Number.NaN);
        },
      });
    };
    poolGauge(
      'inventory_db_pool_connections_in_use',
      'Database connections checked out of the pool',
      (p) => p.totalCount - p.idleCount,
    );
    poolGauge(
      'inventory_db_pool_connections_idle',
      'Open database connections waiting in the pool',
      (p) => p.idleCount,
    );
    poolGauge(
      'inventory_db_pool_waiting_requests',
      'Queries waiting for a free database connection',
      (p) => p.waitingCount,
    );
    poolGauge(
      'inventory_db_pool_connections_max',
      "Size of the database pool (DB_POOL_SIZE; with WORKERS, the sum of the workers' pools)",
      (p) => p.options?.max,
    );
    if (cluster.isWorker) shareMetricsWithPrimary([processMetrics(), this.registry]);
  }

  // Business events (see BusinessEvents, which reports them once committed) ----

  reservationsCreated(count = 1): void {
    this.reservationsCreatedTotal.inc(count);
  }

  reservationsReleased(count = 1): void {
    this.reservationsReleasedTotal.inc(count);
  }

  reservationsExpired(count = 1): void {
    this.reservationsExpiredTotal.inc(count);
  }

  reservationsCommitted(count = 1): void {
    this.reservationsCommittedTotal.inc(count);
  }

  orderTransition(from: string | null, to: string, count = 1): void {
    this.orderTransitions.inc({ from: from ?? 'none', to }, count);
  }

  sweepCompleted(outcome: 'ok' | 'error'): void {
    this.sweeps.inc({ outcome });
  }

  webhookDeliveriesAttempted(succeeded: number, failed: number): void {
    this.webhookAttempts.inc({ outcome: 'succeeded' }, succeeded);
    this.webhookAttempts.inc({ outcome: 'failed' }, failed);
  }

  webhookEndpointDisabled(): void {
    this.webhookEndpointsDisabled.inc();
  }

  // HTTP and scraping --------------------------------------------------------

  /**
   * Times every request by method, route template and status, and counts the
   * refusals for lack of stock, wherever they come from (items, reservations,
   * orders), by the error code the exception filter answered with.
   */
  httpMiddleware(): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const end = this.httpDuration.startTimer();
      res.once('close', () => {
        const route = routeTemplate(req);
        end({ method: req.method, route, status_code: String(res.statusCode) });
        if (res.locals.errorCode === 'insufficient_stock') this.insufficientStock.inc({ route });
      });
      next();
    };
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /**
   * The Prometheus text exposition of this instance's and the process's metrics;
   * in a worker (WORKERS > 1), of every worker's, summed by the primary.
   */
  scrape(): Promise<string> {
    if (cluster.isWorker) {
      return clusterScrape().catch((err: unknown) => {
        this.logger.warn(err instanceof Error ? err.message : String(err));
        throw new ServiceUnavailableError('The metrics of the workers could not be collected; retry');
      });
    }
    return Registry.merge([processMetrics(), this.registry]).metrics();
  }

  private counter(name: string, help: string): Counter {
    return new Counter({ name, help, registers: [this.registry] });
  }

  private pool(): PgPool | undefined {
    return (this.dataSource.driver as unknown as { master?: PgPool }).master;
  }

  /**
   * A query the gauges read on scrape (the oldest expired hold: one index-only probe
   * of reservation_active_expiry_idx; the endpoints by state), bounded in time.
   * Undefined when the database does not answer in time: the gauge then reads NaN,
   * neither a stale value nor a reassuring 0.
   */
  private async measured<T>(what: string, query: () => Promise<T>): Promise<T | undefined> {
    let timer: NodeJS.Timeout | undefined;
    try {
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out')), SCRAPE_QUERY_TIMEOUT_MS);
      });
      return await Promise.race([query(), timeout]);
    } catch (err) {
      this.logger.warn(`${what} not measured: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
