import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { CursorCodec } from '../common/cursor.js';
import { DuplicateError, NotFoundError } from '../common/errors.js';
import { SqlWhere, toPage } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import { isPgError, PgCode } from '../common/pg-errors.js';
import type { RequestContext } from '../common/request-context.js';
import { sql } from '../database/sql.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { touchTenant } from '../cache/invalidation.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { changesOf, requireSome } from '../common/patch.js';
import type { CreateWarehouseDto } from './dto/create-warehouse.dto.js';
import { UPDATABLE_WAREHOUSE_FIELDS, type UpdateWarehouseDto } from './dto/update-warehouse.dto.js';
import type { ListWarehousesQuery } from './dto/list-warehouses.query.js';
import {
  lockWarehouse,
  toWarehouseView,
  updateWarehousePart,
  WAREHOUSE_COLUMNS,
  type WarehouseRow,
  type WarehouseView,
} from './warehouse.repository.js';

const CURSOR_KIND = 'warehouses';

@Injectable()
export class WarehousesService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly cursors: CursorCodec,
  ) {}

  async create(ctx: RequestContext, dto: CreateWarehouseDto): Promise<WarehouseView> {
    try {
      return await this.tx.run((manager) =>
        this.insert(manager, ctx, { code: dto.code, name: dto.name, priority: dto.priority ?? 0, isDefault: false }),
      );
    } catch (err) {
      if (isPgError(err, PgCode.uniqueViolation, 'warehouse_code_key')) throw new DuplicateError('code', dto.code);
      throw err;
    }
  }

  async get(ctx: RequestContext, id: string): Promise<WarehouseView> {
    const [row] = await this.dataSource.query<WarehouseRow[]>(
      `SELECT ${WAREHOUSE_COLUMNS} FROM warehouse WHERE tenant_id = $1 AND id = $2`,
      [ctx.tenantId, id],
    );
    if (!row) throw new NotFoundError('Warehouse');
    return toWarehouseView(row);
  }

  /**
   * Changes name, priority or active (an inactive warehouse is passed over by
   * allocation and refused when a line names it; its stock stays as it is). The
   * fields that change are written and audited with their old and new values; a
   * request that changes nothing writes nothing.
   */
  async update(ctx: RequestContext, id: string, dto: UpdateWarehouseDto): Promise<WarehouseView> {
    requireSome(dto, UPDATABLE_WAREHOUSE_FIELDS);
    return this.tx.run(async (manager) => {
      const row = await lockWarehouse(manager, ctx.tenantId, id);
      if (!row) throw new NotFoundError('Warehouse');
      const before = toWarehouseView(row);
      const change = changesOf(before, { name: dto.name, priority: dto.priority, active: dto.active });
      if (Object.keys(change.new).length === 0) return before;
      // Item views show the warehouse's code in priority order: a change invalidates the tenant's cached views.
      touchTenant(manager, ctx.tenantId);
      const uow = new UnitOfWork(manager);
      uow.add('updated_warehouse', updateWarehousePart(id, change.new));
      this.audit.add(
        uow,
        AuditService.of(ctx, {
          action: 'warehouse.updated',
          objectType: 'warehouse',
          objectId: id,
          oldValue: change.old,
          newValue: change.new,
        }),
      );
      await uow.flush();
      return { ...before, ...change.new };
    });
  }

  /** In allocation order: priority, then id. */
  async list(ctx: RequestContext, query: ListWarehousesQuery): Promise<Page<WarehouseView>> {
    const limit = query.limit ?? 20;
    const where = new SqlWhere().add('tenant_id = ?', ctx.tenantId);
    if (query.cursor !== undefined) {
      const [priority, id] = this.cursors.decode(CURSOR_KIND, query.cursor, 2);
      where.add('(priority, id) > (?::int, ?::uuid)', priority, id);
    }
    const rows = await this.dataSource.query<WarehouseRow[]>(
      `SELECT ${WAREHOUSE_COLUMNS} FROM warehouse WHERE ${where} ORDER BY priority, id LIMIT ${where.param(limit + 1)}`,
      where.params,
    );
    return toPage(rows, limit, (last) => this.cursors.encode(CURSOR_KIND, [last.priority, last.id]), toWarehouseView);
  }

  /** Every tenant starts with one warehouse, `default`, where stock goes unless a request names another. */
  createDefault(manager: EntityManager, ctx: RequestContext): Promise<WarehouseView> {
    return this.insert(manager, ctx, { code: 'default', name: 'Default warehouse', priority: 0, isDefault: true });
  }

  private async insert(
    manager: EntityManager,
    ctx: RequestContext,
    w: { code: string; name: string; priority: number; isDefault: boolean },
  ): Promise<WarehouseView> {
    const [row] = await sql<WarehouseRow>(
      manager,
      `INSERT INTO warehouse (tenant_id, code, name, priority, is_default)
       VALUES ($1, $2, $3, $4, $5)
       RETURNING ${WAREHOUSE_COLUMNS}`,
      [ctx.tenantId, w.code, w.name, w.priority, w.isDefault],
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

  /** Those of `ids` that are warehouses of the tenant, with whether each is active. */
  async existing(manager: EntityManager, tenantId: string, ids: string[]): Promise<Map<string, boolean>> {
    if (ids.length === 0) return new Map();
    const rows = await sql<{ id: string; active: boolean }>(
      manager,
      'SELECT id, active FROM warehouse WHERE tenant_id = $1 AND id = ANY($2::uuid[])',
      [tenantId, ids],
    );
    return new Map(rows.map((w) => [w.id, w.active]));
  }

  /** The tenant's default warehouse id (every tenant has exactly one). */
  async defaultId(manager: EntityManager, tenantId: string): Promise<string> {
    const [row] = await sql<{ id: string }>(manager, 'SELECT id FROM warehouse WHERE tenant_id = $1 AND is_default', [
      tenantId,
    ]);
    if (!row) throw new Error(`tenant ${tenantId} has no default warehouse`);
    return row.id;
  }
}
