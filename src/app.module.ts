import { DynamicModule, Module } from '@nestjs/common';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { CacheModule } from './cache/cache.module.js';
import { CommonModule } from './common/common.module.js';
import { ConfigModule } from './config/config.module.js';
import type { Env } from './config/env.js';
import { DatabaseModule } from './database/database.module.js';
import { EventsModule } from './events/events.module.js';
import { HealthModule } from './health/health.module.js';
import { IdempotencyModule } from './idempotency/idempotency.module.js';
import { InventoryModule } from './inventory/inventory.module.js';
import { LedgerModule } from './ledger/ledger.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { OrdersModule } from './orders/orders.module.js';
import { RateLimitModule } from './rate-limit/rate-limit.module.js';
import { ReservationsModule } from './reservations/reservations.module.js';
import { StockModule } from './stock/stock.module.js';
import { WarehousesModule } from './warehouses/warehouses.module.js';
import { WebhooksModule } from './webhooks/webhooks.module.js';
import { ScheduleModule } from '@nestjs/schedule';

@Module({})
export class AppModule {
  static forRoot(env: Env, databaseUrl: string): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(env),
        DatabaseModule.forRoot(databaseUrl, env),
        CacheModule,
        IdempotencyModule,
        CommonModule,
        AuditModule,
        AuthModule,
        // After AuthModule: its guard counts requests per API key, which AuthModule's guard resolves.
        RateLimitModule.forRoot(env),
        ScheduleModule.forRoot(),
        InventoryModule,
        StockModule,
        WarehousesModule,
        ReservationsModule,
        OrdersModule,
        EventsModule,
        LedgerModule,
        WebhooksModule,
        HealthModule,
        MetricsModule,
      ],
    };
  }
}
