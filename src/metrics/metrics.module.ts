import { Global, Module } from '@nestjs/common';
import { APP_INTERCEPTOR } from '@nestjs/core';
import { BusinessEvents } from './business-events.js';
import { DomainErrorMetricsInterceptor } from './domain-error-metrics.interceptor.js';
import { MetricsController } from './metrics.controller.js';
import { MetricsService } from './metrics.service.js';

/** GET /metrics, and the services the rest of the application reports events to. */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [MetricsService, BusinessEvents, { provide: APP_INTERCEPTOR, useClass: DomainErrorMetricsInterceptor }],
  exports: [MetricsService, BusinessEvents],
})
export class MetricsModule {}
