import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LifecycleModule } from '../lifecycle/lifecycle.module.js';
import { HealthController } from './health.controller.js';
import { ReadinessIndicators } from './readiness.indicators.js';

@Module({
  // Failed checks are logged by HealthController, through the application's logger.
  imports: [TerminusModule.forRoot({ logger: false }), LifecycleModule],
  controllers: [HealthController],
  providers: [ReadinessIndicators],
})
export class HealthModule {}
