import { Global, Module } from '@nestjs/common';
import { ItemCache } from './item-cache.js';

/** The shared read cache (Redis; off without REDIS_URL), and its invalidation after every commit. */
@Global()
@Module({
  providers: [ItemCache],
  exports: [ItemCache],
})
export class CacheModule {}
