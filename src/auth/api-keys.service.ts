import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { CursorCodec } from '../common/cursor.js';
import { NotFoundError } from '../common/errors.js';
import { toPage } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import type { RequestContext } from '../common/request-context.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { toApiKeyView, type ApiKeyView } from './api-key.js';
import { ApiKeyCache } from './api-key-cache.js';
import { insertKey, listKeys, lockKey, revokeKey, setKeyExpiry, type KeySpec } from './api-key.repository.js';
import { generateApiKey } from './api-key-secret.js';
import type { CreateApiKeyDto } from './dto/create-api-key.dto.js';
import type { RotateApiKeyDto } from './dto/rotate-api-key.dto.js';
import type { PageQuery } from '../common/page.query.js';
import { normalizeScopes } from './scopes.js';
import { findTenant, lockTenant } from './tenant.repository.js';

/** A key as it is made: the only time its secret is shown. */
export type NewApiKeyView = ApiKeyView & { key: string };

const CURSOR_KIND = 'api_keys';

/**
 * A tenant's API keys, for the admin routes: made, listed, revoked, rotated.
 * Every change is audited on the tenant (visible in its audit log); a change
 * that makes a key stop working also forgets it in this instance's auth cache
 * once it has committed (other instances: within AUTH_CACHE_TTL_MS).
 */
@Injectable()
export class ApiKeysService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly cursors: CursorCodec,
    private readonly cache: ApiKeyCache,
  ) {}

  async create(ctx: RequestContext, dto: CreateApiKeyDto): Promise<NewApiKeyView> {
    return this.tx.run(async (manager) => {
      found(await lockTenant(manager, ctx.tenantId, 'share'), 'Tenant');
      return this.insert(manager, ctx, {
        label: dto.label ?? 'api',
        scopes: normalizeScopes(dto.scopes ?? ['*']),
        expiresAt: dto.expires_at ?? null,
        rotatedFrom: null,
      });
    });
  }

  /** Makes a key and audits it, in the caller's transaction (a new tenant's first key too). */
  async insert(manager: EntityManager, ctx: RequestContext, spec: KeySpec): Promise<NewApiKeyView> {
    const secret = generateApiKey();
    const view = toApiKeyView(await insertKey(manager, ctx.tenantId, spec, secret));
    await this.audit.record(manager, ctx, {
      action: 'api_key.created',
      objectType: 'api_key',
      objectId: view.id,
      newValue: view,
    });
    return { ...view, key: secret.key };
  }

  /** Every key of the tenant, revoked and expired ones included, oldest first. */
  async list(tenantId: string, query: PageQuery): Promise<Page<ApiKeyView>> {
    const limit = query.limit ?? 20;
    found(await findTenant(this.dataSource, tenantId), 'Tenant');
    const after = query.cursor ? (this.cursors.decode(CURSOR_KIND, query.cursor, 2) as [string, string]) : undefined;
    const rows = await listKeys(this.dataSource, tenantId, after, limit + 1);
    return toPage(rows, limit, (last) => this.cursors.encode(CURSOR_KIND, [last.cursor_ts, last.id]), toApiKeyView);
  }

  /** Revoked at once, for good (idempotent: revoking a revoked key changes nothing). */
  async revoke(ctx: RequestContext, keyId: string): Promise<void> {
    await this.tx.run(async (manager) => {
      const key = found(await lockKey(manager, ctx.tenantId, keyId), 'API key');
      if (key.revoked_at) return;
      const revoked = await revokeKey(manager, keyId);
      await this.audit.record(manager, ctx, {
        action: 'api_key.revoked',
        objectType: 'api_key',
        objectId: keyId,
        oldValue: { revoked_at: null },
        newValue: { revoked_at: revoked.revoked_at!.toISOString() },
      });
    });
    this.cache.forgetKey(keyId);
  }

  /**
   * A new key in place of an old one, which keeps working until it is revoked or
   * expires, or until `old_key_expires_at` (never later than its own expiry).
   */
  async rotate(ctx: RequestContext, keyId: string, dto: RotateApiKeyDto): Promise<NewApiKeyView> {
    const created = await this.tx.run(async (manager) => {
      const old = found(await lockKey(manager, ctx.tenantId, keyId), 'API key');
      const fresh = await this.insert(manager, ctx, {
        label: dto.label ?? old.label,
        scopes: normalizeScopes(dto.scopes ?? old.scopes),
        expiresAt: dto.expires_at ?? null,
        rotatedFrom: old.id,
      });
      const until = dto.old_key_expires_at;
      const shortens =
        until !== undefined && !old.revoked_at && (!old.expires_at || Date.parse(until) < +old.expires_at);
      const expiresAt = shortens ? (await setKeyExpiry(manager, old.id, until)).expires_at : old.expires_at;
      await this.audit.record(manager, ctx, {
        action: 'api_key.rotated',
        objectType: 'api_key',
        objectId: old.id,
        ...(shortens ? { oldValue: { expires_at: old.expires_at?.toISOString() ?? null } } : {}),
        newValue: { rotated_to: fresh.id, expires_at: expiresAt?.toISOString() ?? null },
      });
      return fresh;
    });
    this.cache.forgetKey(keyId);
    return created;
  }
}

function found<T>(row: T | undefined, what: string): T {
  if (!row) throw new NotFoundError(what);
  return row;
}
