import { Injectable, Logger } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isDatabaseUnavailable } from '../common/pg-errors.js';
import type { RequestContext } from '../common/request-context.js';
import { type HoldJob, type HoldRequest, ReservationHoldsService } from './reservation-holds.service.js';
import type { ReservationView } from './reservation-store.js';

const MAX_BATCH = 128;

interface Pending extends HoldJob {
  resolve(view: ReservationView): void;
  reject(error: unknown): void;
}

/**
 * Group commit for reservations. Requests of one tenant that arrive while its
 * previous batch is in the database wait for the next one, and each batch is a
 * single transaction: the hot stock row is locked once for many callers instead
 * of once per caller, and backends stop queueing on it. Every request is still
 * decided on its own, all or nothing, in arrival order, and answered with its
 * own result. An idle tenant's request runs at once, in a batch of one.
 */
@Injectable()
export class ReservationBatcher {
  private readonly logger = new Logger('ReservationBatcher');
  private readonly queues = new Map<string, Pending[]>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly holds: ReservationHoldsService,
  ) {}

  submit(ctx: RequestContext, request: HoldRequest): Promise<ReservationView> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(ctx.tenantId);
      const job = { ctx, request, resolve, reject };
      if (queue) {
        queue.push(job);
      } else {
        this.queues.set(ctx.tenantId, [job]);
        void this.drain(ctx.tenantId);
      }
    });
  }

  private async drain(tenantId: string): Promise<void> {
    const queue = this.queues.get(tenantId)!;
    while (queue.length > 0) {
      await this.run(tenantId, queue.splice(0, MAX_BATCH));
    }
    this.queues.delete(tenantId);
  }

  private async run(tenantId: string, batch: Pending[]): Promise<void> {
    let results;
    try {
      results = await this.dataSource.transaction((manager) => this.holds.reserveMany(manager, tenantId, batch));
    } catch (err) {
      if (batch.length === 1 || isDatabaseUnavailable(err)) {
        batch.forEach((job) => job.reject(err));
        return;
      }
      // Not expected: take no chances with the others and run each request alone.
      this.logger.warn(`batch of ${batch.length} failed (${String(err)}); retrying one by one`);
      for (const job of batch) {
        try {
          job.resolve(await this.dataSource.transaction((m) => this.holds.reserveIn(m, job.ctx, job.request)));
        } catch (error) {
          job.reject(error);
        }
      }
      return;
    }
    results.forEach((result, i) => ('error' in result ? batch[i]!.reject(result.error) : batch[i]!.resolve(result.view)));
  }
}
