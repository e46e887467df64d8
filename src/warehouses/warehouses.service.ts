import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import type { RequestContext } from '../common/request-context.js';
import { sql } from '../database/sql.js';

export interface WarehouseView {
  id: string;
  code: string;
  name: string;
  priority: number;
  is_default: boolean;
  created_at: string;
}

interface WarehouseRow extends Omit<WarehouseView, 'created_at'> {
  created_at: Date;
}

export const WAREHOUSE_COLUMNS = 'id, code, name, priority, is_default, created_at';

export function toWarehouseView(row: WarehouseRow): WarehouseView {
  return { ...row, created_at: row.created_at.toISOString() };
}

@Injectable()
export class WarehousesService {
  constructor(private readonly audit: AuditService) {}

  /** Every tenant starts with one warehouse, `default`, where stock goes unless a request names another. */
  async createDefault(manager: EntityManager, ctx: RequestContext): Promise<WarehouseView> {
    const [row] = await sql<WarehouseRow>(
      manager,
      `INSERT INTO warehouse (tenant_id, code, name, priority, is_default)
       VALUES ($1, 'default', 'Default warehouse', 0, true)
       RETURNING ${WAREHOUSE_COLUMNS}`,
      [ctx.tenantId],
    );
    const view = toWarehouseView(row!);
    await this.audit.record(manager, ctx, {
      action: 'warehouse.created',
      objectType: 'warehouse',
      objectId: view.id,
      newValue: view,
    });
    return view;
  }

  /** The tenant's default warehouse id (every tenant has exactly one). */
  async defaultId(manager: EntityManager, tenantId: string): Promise<string> {
    const [row] = await sql<{ id: string }>(
      manager,
      'SELECT id FROM warehouse WHERE tenant_id = $1 AND is_default',
      [tenantId],
    );
    if (!row) throw new Error(`tenant ${tenantId} has no default warehouse`);
    return row.id;
  }
}
