import { describe, expect, it } from '@jest/globals';
import type { ExecutionContext } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import type { Env } from '../config/env.js';
import { ApiKeyCache } from './api-key-cache.js';
import { ApiKeyGuard } from './api-key.guard.js';
import type { ApiKeyUsage } from './api-key-usage.js';
import { Public } from './public.decorator.js';

class Undeclared {
  handler(): void {}
}
class Declared {
  @Public()
  handler(): void {}
}

const contextOf = (controller: { prototype: { handler: () => void } }) =>
  ({
    getHandler: () => controller.prototype.handler,
    getClass: () => controller,
    switchToHttp: () => ({ getRequest: () => ({ get: () => undefined }) }),
  }) as unknown as ExecutionContext;

describe('the auth guard', () => {
  const env = { AUTH_CACHE_TTL_MS: 0 } as Env;
  const guard = new ApiKeyGuard({} as DataSource, new ApiKeyCache(env), {} as ApiKeyUsage, env);

  it('does not serve a route that declares no scope, public or admin (a bug: 500, never an open route)', async () => {
    await expect(guard.canActivate(contextOf(Undeclared))).rejects.toThrow(
      'Undeclared.handler declares no scope, public or admin',
    );
  });

  it('serves a public route without a key', async () => {
    await expect(guard.canActivate(contextOf(Declared))).resolves.toBe(true);
  });
});
