import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Env } from '../config/env.js';
import { IdempotencyService } from './idempotency.service.js';

/** Hourly: forgets idempotency keys older than IDEMPOTENCY_TTL_HOURS. */
@Injectable()
export class IdempotencyPurgeCron implements OnApplicationBootstrap {
  private readonly logger = new Logger('IdempotencyPurge');

  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly scheduler: SchedulerRegistry,
    private readonly env: Env,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.ENABLE_CRON) return;
    const job = CronJob.from({
      cronTime: '0 7 * * * *',
      onTick: async () => {
        try {
          const purged = await this.idempotency.purgeExpired();
          if (purged > 0) this.logger.log(`purged ${purged} idempotency key(s)`);
        } catch (err) {
          this.logger.error(`purge failed: ${String(err)}`);
        }
      },
    });
    this.scheduler.addCronJob('idempotency-purge', job);
    job.start();
  }
}
