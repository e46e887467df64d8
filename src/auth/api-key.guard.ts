import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Env } from '../config/env.js';
import {
  ForbiddenError,
  InsufficientScopeError,
  NotFoundError,
  TenantDisabledError,
  UnauthorizedError,
} from '../common/errors.js';
import { refusalOf, type AuthKey } from './api-key.js';
import { ApiKeyCache } from './api-key-cache.js';
import { findKeyByHash } from './api-key.repository.js';
import { hashApiKey } from './api-key-secret.js';
import { ApiKeyUsage } from './api-key-usage.js';
import { routeAccess } from './route-access.js';
import { grants, scopesGranting } from './scopes.js';

const BEARER = /^Bearer\s+(\S{1,512})\s*$/i;

declare module 'express-serve-static-core' {
  interface Request {
    /** The API key of a tenant route's caller, as the guard found it. */
    apiKey?: AuthKey;
  }
}

/**
 * Authenticates every route by what it declares (route-access.ts): public ones
 * need nothing, admin ones the ADMIN_TOKEN, tenant ones an API key that is
 * neither revoked nor expired, of a tenant that is not disabled, holding the
 * route's scope. A route that declares nothing is not served.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly adminHash?: Buffer;

  constructor(
    private readonly dataSource: DataSource,
    private readonly cache: ApiKeyCache,
    private readonly usage: ApiKeyUsage,
    env: Env,
  ) {
    this.adminHash = env.ADMIN_TOKEN ? hashApiKey(env.ADMIN_TOKEN) : undefined;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const access = routeAccess(context.getHandler(), context.getClass());
    if (!access) {
      throw new Error(`${context.getClass().name}.${context.getHandler().name} declares no scope, public or admin`);
    }
    if (access.kind === 'public') return true;
    const req = context.switchToHttp().getRequest<Request>();
    const token = BEARER.exec(req.get('authorization') ?? '')?.[1];

    if (access.kind === 'admin') {
      if (!this.adminHash) throw new NotFoundError('Route');
      if (!token) throw new UnauthorizedError();
      if (timingSafeEqual(hashApiKey(token), this.adminHash)) return true;
      // A valid key (a disabled tenant's too) is a credential, just not this one: 403. Anything else: 401.
      const key = await this.findKey(token);
      const refusal = key && refusalOf(key, Date.now());
      if (key && (!refusal || refusal instanceof TenantDisabledError)) {
        throw new ForbiddenError('Admin routes need the ADMIN_TOKEN');
      }
      throw new UnauthorizedError();
    }

    const key = token ? await this.findKey(token) : undefined;
    if (!key) throw new UnauthorizedError();
    const refusal = refusalOf(key, Date.now());
    if (refusal) throw refusal;
    this.usage.touch(key.id);
    req.principal = { tenantId: key.tenant_id, actor: `api_key:${key.id}` };
    req.apiKey = key;
    if (access.kind === 'scope' && !grants(key.scopes, access.scope)) {
      throw new InsufficientScopeError(access.scope, scopesGranting(access.scope), key.scopes);
    }
    return true;
  }

  private async findKey(token: string): Promise<AuthKey | undefined> {
    const hash = hashApiKey(token);
    const cacheKey = hash.toString('base64');
    const cached = this.cache.get(cacheKey);
    if (cached) return cached;
    const epoch = this.cache.epoch();
    const key = await findKeyByHash(this.dataSource, hash);
    // Unknown keys are never cached: a new key works at once.
    if (key) this.cache.set(cacheKey, key, epoch);
    return key;
  }
}
