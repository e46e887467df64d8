import { DynamicModule, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import type { Env } from '../config/env.js';
import { RateLimitGuard } from './rate-limit.guard.js';

/** Per-API-key rate limiting (RATE_LIMIT_PER_MINUTE; 0: no guard at all). */
@Module({})
export class RateLimitModule {
  static forRoot(env: Env): DynamicModule {
    if (env.RATE_LIMIT_PER_MINUTE === 0) return { module: RateLimitModule };
    // Global guards run in module order: AppModule imports this module after
    // AuthModule, so ApiKeyGuard has set req.principal by the time this runs.
    return { module: RateLimitModule, providers: [{ provide: APP_GUARD, useClass: RateLimitGuard }] };
  }
}
