import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { DuplicateError, NotFoundError } from '../common/errors.js';
import { isPgError, PgCode } from '../common/pg-errors.js';
import type { RequestContext } from '../common/request-context.js';
import { sql } from '../database/sql.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { WarehousesService } from '../warehouses/warehouses.service.js';
import { generateApiKey } from './api-key-secret.js';

export interface TenantView {
  id: string;
  name: string;
  created_at: string;
}

export interface ApiKeyView {
  id: string;
  label: string;
  prefix: string;
  created_at: string;
  /** The secret itself: returned once, when the key is made. */
  key: string;
}

@Injectable()
export class TenantsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly warehouses: WarehousesService,
  ) {}

  /** A tenant, its default warehouse and its first API key, in one transaction. */
  async create(name: string, actor: string, requestId: string): Promise<{ tenant: TenantView; api_key: ApiKeyView }> {
    try {
      return await this.tx.run(async (manager) => {
        const [row] = await sql<{ id: string; name: string; created_at: Date }>(
          manager,
          'INSERT INTO tenant (name) VALUES ($1) RETURNING id, name, created_at',
          [name],
        );
        const tenant = { id: row!.id, name: row!.name, created_at: row!.created_at.toISOString() };
        const ctx: RequestContext = { tenantId: tenant.id, actor, requestId };
        await this.audit.record(manager, ctx, {
          action: 'tenant.created',
          objectType: 'tenant',
          objectId: tenant.id,
          newValue: tenant,
        });
        await this.warehouses.createDefault(manager, ctx);
        const apiKey = await this.insertApiKey(manager, ctx, 'initial');
        return { tenant, api_key: apiKey };
      });
    } catch (err) {
      if (isPgError(err, PgCode.uniqueViolation, 'tenant_name_key')) throw new DuplicateError('name', name);
      throw err;
    }
  }

  async createApiKey(tenantId: string, label: string, actor: string, requestId: string): Promise<ApiKeyView> {
    return this.tx.run(async (manager) => {
      const [tenant] = await sql(manager, 'SELECT 1 FROM tenant WHERE id = $1', [tenantId]);
      if (!tenant) throw new NotFoundError('Tenant');
      return this.insertApiKey(manager, { tenantId, actor, requestId }, label);
    });
  }

  async count(): Promise<number> {
    const [row] = await this.dataSource.query<{ n: number }[]>('SELECT count(*)::int AS n FROM tenant');
    return row?.n ?? 0;
  }

  private async insertApiKey(manager: EntityManager, ctx: RequestContext, label: string): Promise<ApiKeyView> {
    const secret = generateApiKey();
    const [row] = await sql<{ id: string; created_at: Date }>(
      manager,
      'INSERT INTO api_key (tenant_id, label, key_hash, key_prefix) VALUES ($1, $2, $3, $4) RETURNING id, created_at',
      [ctx.tenantId, label, secret.hash, secret.prefix],
    );
    const view = { id: row!.id, label, prefix: secret.prefix, created_at: row!.created_at.toISOString() };
    await this.audit.record(manager, ctx, {
      action: 'api_key.created',
      objectType: 'api_key',
      objectId: view.id,
      newValue: view,
    });
    return { ...view, key: secret.key };
  }
}
