import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Env } from '../config/env.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { ReservationExpiryService } from './reservation-expiry.service.js';

/**
 * The scheduled provider: every RESERVATION_SWEEP_CRON tick it asks the expiry
 * service to release lapsed holds. All logic lives in the service, so tests call
 * `sweep()` directly instead of waiting for the clock.
 */
@Injectable()
export class ReservationExpiryCron implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ReservationExpiryCron');
  /** The sweep in progress, if any. */
  private running?: Promise<void>;

  constructor(
    private readonly expiry: ReservationExpiryService,
    private readonly scheduler: SchedulerRegistry,
    private readonly env: Env,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.ENABLE_CRON) return;
    const job = CronJob.from({ cronTime: this.env.RESERVATION_SWEEP_CRON, onTick: () => this.tick() });
    this.scheduler.addCronJob('reservation-expiry', job);
    job.start();
  }

  /** A shutdown lets the sweep in progress finish before the pool closes (the cron itself is stopped by then). */
  async beforeApplicationShutdown(): Promise<void> {
    await this.running;
  }

  private async tick(): Promise<void> {
    // One sweep at a time per instance; other instances are kept apart by SKIP LOCKED.
    if (this.running) return;
    this.running = this.sweep();
    await this.running;
    this.running = undefined;
  }

  private async sweep(): Promise<void> {
    try {
      await this.expiry.sweep();
      this.metrics.sweepCompleted('ok');
    } catch (err) {
      this.metrics.sweepCompleted('error');
      this.logger.error(`sweep failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
