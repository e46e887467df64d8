import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Env } from '../config/env.js';
import { ForbiddenError, NotFoundError, UnauthorizedError } from '../common/errors.js';
import type { Principal } from '../common/request-context.js';
import { hashApiKey } from './api-key-secret.js';
import { IS_ADMIN, IS_PUBLIC } from './public.decorator.js';

const BEARER = /^Bearer\s+(\S{1,512})\s*$/i;
const CACHE_MAX_ENTRIES = 10_000;

/** Authenticates every route: tenant API keys by default, ADMIN_TOKEN on admin routes. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly adminHash?: Buffer;
  /** Known keys by hash, for AUTH_CACHE_TTL_MS: saves a round trip on every request. */
  private readonly cache = new Map<string, { principal: Principal; expires: number }>();
  private readonly cacheTtlMs: number;

  constructor(
    private readonly reflector: Reflector,
    private readonly dataSource: DataSource,
    env: Env,
  ) {
    this.adminHash = env.ADMIN_TOKEN ? hashApiKey(env.ADMIN_TOKEN) : undefined;
    this.cacheTtlMs = env.AUTH_CACHE_TTL_MS;
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const req = context.switchToHttp().getRequest<Request>();
    const token = BEARER.exec(req.get('authorization') ?? '')?.[1];

    if (this.reflector.getAllAndOverride<boolean>(IS_ADMIN, targets)) {
      if (!this.adminHash) throw new NotFoundError('Route');
      if (!token) throw new UnauthorizedError();
      if (timingSafeEqual(hashApiKey(token), this.adminHash)) return true;
      if (await this.findPrincipal(token)) throw new ForbiddenError('Admin routes need the ADMIN_TOKEN');
      throw new UnauthorizedError();
    }

    const principal = token ? await this.findPrincipal(token) : undefined;
    if (!principal) throw new UnauthorizedError();
    req.principal = principal;
    return true;
  }

  private async findPrincipal(token: string): Promise<Principal | undefined> {
    const hash = hashApiKey(token);
    const cacheKey = hash.toString('base64');
    const cached = this.cache.get(cacheKey);
    if (cached && cached.expires > Date.now()) return cached.principal;
    const rows = await this.dataSource.query<{ id: string; tenant_id: string }[]>(
      'SELECT id, tenant_id FROM api_key WHERE key_hash = $1 AND revoked_at IS NULL',
      [hash],
    );
    const row = rows[0];
    if (!row) return undefined; // unknown keys are never cached: a new key works at once
    const principal = { tenantId: row.tenant_id, actor: `api_key:${row.id}` };
    if (this.cacheTtlMs > 0) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.clear();
      this.cache.set(cacheKey, { principal, expires: Date.now() + this.cacheTtlMs });
    }
    return principal;
  }
}
