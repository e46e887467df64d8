import { Global, Module } from '@nestjs/common';
import { BusinessEvents } from './business-events.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/** GET /metrics, and the services the rest of the application reports events to. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, BusinessEvents],
  exports: [MetricsService, BusinessEvents],
})
export class MetricsModule {}
