import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import { Env } from '../config/env.js';
import { EventsService } from './events.service.js';

/** Hourly: purges events older than EVENT_RETENTION_DAYS. */
@Injectable()
export class EventPurgeCron implements OnApplicationBootstrap {
  private readonly logger = new Logger('EventPurge');

  constructor(
    private readonly events: EventsService,
    private readonly scheduler: SchedulerRegistry,
    private readonly env: Env,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.env.ENABLE_CRON) return;
    const job = CronJob.from({
      cronTime: '0 17 * * * *',
      onTick: async () => {
        try {
          const purged = await this.events.purgeOlderThan(this.env.EVENT_RETENTION_DAYS);
          if (purged > 0) this.logger.log(`purged ${purged} event(s)`);
        } catch (err) {
          this.logger.error(`purge failed: ${String(err)}`);
        }
      },
    });
    this.scheduler.addCronJob('event-purge', job);
    job.start();
  }
}
