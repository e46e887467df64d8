import { Global, Module } from '@nestjs/common';
import { IdempotencyPurgeCron } from './idempotency-purge.cron.js';
import { IdempotencyInterceptor } from './idempotency.interceptor.js';
import { IdempotencyService } from './idempotency.service.js';

@Global()
@Module({
  providers: [IdempotencyService, IdempotencyInterceptor, IdempotencyPurgeCron],
  exports: [IdempotencyService, IdempotencyInterceptor],
})
export class IdempotencyModule {}
