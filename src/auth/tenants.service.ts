import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { CursorCodec } from '../common/cursor.js';
import { DuplicateError, NotFoundError } from '../common/errors.js';
import { toPage } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import type { PageQuery } from '../common/page.query.js';
import { isPgError, PgCode } from '../common/pg-errors.js';
import type { RequestContext } from '../common/request-context.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { WarehousesService } from '../warehouses/warehouses.service.js';
import { ApiKeyCache } from './api-key-cache.js';
import { ApiKeysService, type NewApiKeyView } from './api-keys.service.js';
import {
  countTenants,
  insertTenant,
  listTenants,
  lockTenant,
  setTenantDisabled,
  toTenantView,
  type TenantView,
} from './tenant.repository.js';

export type { TenantView };

const CURSOR_KIND = 'tenants';

@Injectable()
export class TenantsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly warehouses: WarehousesService,
    private readonly keys: ApiKeysService,
    private readonly cursors: CursorCodec,
    private readonly cache: ApiKeyCache,
  ) {}

  /** A tenant, its default warehouse and its first API key (every scope), in one transaction. */
  async create(
    name: string,
    actor: string,
    requestId: string,
  ): Promise<{ tenant: TenantView; api_key: NewApiKeyView }> {
    try {
      return await this.tx.run(async (manager) => {
        const tenant = toTenantView(await insertTenant(manager, name));
        const ctx: RequestContext = { tenantId: tenant.id, actor, requestId };
        await this.audit.record(manager, ctx, {
          action: 'tenant.created',
          objectType: 'tenant',
          objectId: tenant.id,
          newValue: tenant,
        });
        await this.warehouses.createDefault(manager, ctx);
        const spec = { label: 'initial', scopes: ['*' as const], expiresAt: null, rotatedFrom: null };
        return { tenant, api_key: await this.keys.insert(manager, ctx, spec) };
      });
    } catch (err) {
      if (isPgError(err, PgCode.uniqueViolation, 'tenant_name_key')) throw new DuplicateError('name', name);
      throw err;
    }
  }

  /** Every tenant, disabled ones included, oldest first. */
  async list(query: PageQuery): Promise<Page<TenantView>> {
    const limit = query.limit ?? 20;
    const after = query.cursor ? (this.cursors.decode(CURSOR_KIND, query.cursor, 2) as [string, string]) : undefined;
    const rows = await listTenants(this.dataSource, after, limit + 1);
    return toPage(rows, limit, (last) => this.cursors.encode(CURSOR_KIND, [last.cursor_ts, last.id]), toTenantView);
  }

  /**
   * Disables a tenant (its keys answer 403 tenant_disabled) or enables it again.
   * Idempotent: a tenant already so is answered as it is, and nothing is written.
   */
  async setDisabled(ctx: RequestContext, disabled: boolean): Promise<TenantView> {
    const tenant = await this.tx.run(async (manager) => {
      const before = await lockTenant(manager, ctx.tenantId, 'update');
      if (!before) throw new NotFoundError('Tenant');
      if ((before.disabled_at !== null) === disabled) return toTenantView(before);
      const after = toTenantView(await setTenantDisabled(manager, ctx.tenantId, disabled));
      await this.audit.record(manager, ctx, {
        action: disabled ? 'tenant.disabled' : 'tenant.enabled',
        objectType: 'tenant',
        objectId: ctx.tenantId,
        oldValue: { disabled_at: toTenantView(before).disabled_at },
        newValue: { disabled_at: after.disabled_at },
      });
      return after;
    });
    this.cache.forgetTenant(ctx.tenantId);
    return tenant;
  }

  count(): Promise<number> {
    return countTenants(this.dataSource);
  }
}
