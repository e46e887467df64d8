import { Module } from '@nestjs/common';
import { EventPurgeCron } from './event-purge.cron.js';
import { EventsController } from './events.controller.js';
import { EventsService } from './events.service.js';

/** The outbox (events written with the changes they tell of), the feed, and its purge. */
@Module({
  controllers: [EventsController],
  providers: [EventsService, EventPurgeCron],
  exports: [EventsService],
})
export class EventsModule {}
