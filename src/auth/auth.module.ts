import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { WarehousesModule } from '../warehouses/warehouses.module.js';
import { AdminController } from './admin.controller.js';
import { ApiKeyCache } from './api-key-cache.js';
import { ApiKeyGuard } from './api-key.guard.js';
import { ApiKeyUsage } from './api-key-usage.js';
import { ApiKeysService } from './api-keys.service.js';
import { MeController } from './me.controller.js';
import { DefaultTenantBootstrap } from './default-tenant.bootstrap.js';
import { TenantsService } from './tenants.service.js';

@Module({
  imports: [WarehousesModule],
  controllers: [AdminController, MeController],
  providers: [
    TenantsService,
    ApiKeysService,
    ApiKeyCache,
    ApiKeyUsage,
    DefaultTenantBootstrap,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
  ],
})
export class AuthModule {}
