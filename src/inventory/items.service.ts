import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service.js';
import { touchItems } from '../cache/invalidation.js';
import { CursorCodec } from '../common/cursor.js';
import { DuplicateError, NotFoundError, UnknownReferencesError, ValidationFailedError } from '../common/errors.js';
import type { ItemRef } from '../cache/item-cache.js';
import { SqlWhere, toPage } from '../common/keyset.js';
import type { Page } from '../common/page.js';
import { isPgError, PgCode } from '../common/pg-errors.js';
import type { RequestContext } from '../common/request-context.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { UnitOfWork } from '../database/unit-of-work.js';
import { changesOf, requireSome } from '../common/patch.js';
import { adjustmentTypeProblem } from '../ledger/movement.js';
import { WarehousesService } from '../warehouses/warehouses.service.js';
import { availabilityOf, type ItemAvailability, unknownRefs } from './availability.js';
import type { AdjustQtyDto } from './dto/adjust-qty.dto.js';
import type { AvailabilityDto } from './dto/availability.dto.js';
import { type CreateItemDto, SKU_PATTERN } from './dto/create-item.dto.js';
import { UPDATABLE_ITEM_FIELDS, type UpdateItemDto } from './dto/update-item.dto.js';
import type { ListItemsQuery } from './dto/list-items.query.js';
import { ItemReads } from './item-reads.js';
import { StockChanges } from './stock-changes.js';
import {
  findItemView,
  insertItem,
  itemExists,
  lockItemFields,
  ITEM_SELECT,
  type ItemRow,
  type ItemView,
  lockLiveItem,
  markDeleted,
  toItemView,
  updateItemPart,
} from './item.repository.js';
import { insertStockRow } from './stock.repository.js';

const CURSOR_KIND = 'items';

@Injectable()
export class ItemsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly audit: AuditService,
    private readonly warehouses: WarehousesService,
    private readonly cursors: CursorCodec,
    private readonly stock: StockChanges,
    private readonly reads: ItemReads,
  ) {}

  async create(ctx: RequestContext, dto: CreateItemDto): Promise<ItemView> {
    try {
      return await this.tx.run(async (manager) => {
        const itemId = await insertItem(manager, ctx.tenantId, {
          sku: dto.sku ?? null,
          name: dto.name,
          description: dto.description ?? null,
          reorder_point: dto.reorder_point ?? null,
        });
        const warehouseId = await this.warehouses.defaultId(manager, ctx.tenantId);
        await insertStockRow(manager, ctx.tenantId, {
          item_id: itemId,
          warehouse_id: warehouseId,
          on_hand: dto.qty ?? 0,
          reserved: 0,
          type: 'received',
          reason: 'initial stock',
          actor: ctx.actor,
          request_id: ctx.requestId,
        });
        const view = await this.mustFind(manager, ctx.tenantId, itemId);
        await this.audit.record(manager, ctx, {
          action: 'item.created',
          objectType: 'item',
          objectId: view.id,
          newValue: view,
        });
        return view;
      });
    } catch (err) {
      throw duplicateOf(err, dto);
    }
  }

  /**
   * Changes name, SKU, description or reorder point: the fields that change are
   * written (updated_at with them) and audited with their old and new values; a
   * request that changes nothing writes nothing. The unique indexes decide a
   * taken name or SKU, as on create.
   */
  async update(ctx: RequestContext, id: string, dto: UpdateItemDto): Promise<ItemView> {
    requireSome(dto, UPDATABLE_ITEM_FIELDS);
    try {
      return await this.tx.run(async (manager) => {
        const current = await lockItemFields(manager, ctx.tenantId, id);
        if (!current) throw new NotFoundError('Item');
        const change = changesOf(current, {
          name: dto.name,
          sku: dto.sku,
          description: dto.description,
          reorder_point: dto.reorder_point,
        });
        if (Object.keys(change.new).length === 0) return this.mustFind(manager, ctx.tenantId, id);
        touchItems(manager, [id]);
        const uow = new UnitOfWork(manager);
        uow.add('updated_item', updateItemPart(id, change.new));
        this.audit.add(
          uow,
          AuditService.of(ctx, {
            action: 'item.updated',
            objectType: 'item',
            objectId: id,
            oldValue: change.old,
            newValue: change.new,
          }),
        );
        await uow.flush();
        return this.mustFind(manager, ctx.tenantId, id);
      });
    } catch (err) {
      throw duplicateOf(err, dto);
    }
  }

  /** Through the shared cache when there is one (ItemReads): the same answer either way. */
  async get(ctx: RequestContext, id: string): Promise<ItemView> {
    const [view] = await this.reads.views(ctx.tenantId, [{ id }]);
    if (!view) throw new NotFoundError('Item');
    return view;
  }

  /** The live item with this SKU; a string that cannot be a SKU names none. */
  async getBySku(ctx: RequestContext, sku: string): Promise<ItemView> {
    const [view] = SKU_PATTERN.test(sku) ? await this.reads.views(ctx.tenantId, [{ sku }]) : [];
    if (!view) throw new NotFoundError('Item');
    return view;
  }

  /** Totals and stock per warehouse of up to 500 items in one call; 404 listing every ref that names no live item. */
  async availability(ctx: RequestContext, dto: AvailabilityDto): Promise<{ items: ItemAvailability[] }> {
    const refs: ItemRef[] = dto.items.map((r) => (r.item_id !== undefined ? { id: r.item_id } : { sku: r.sku! }));
    const views = await this.reads.views(ctx.tenantId, refs);
    const unknown = unknownRefs(refs, views);
    if (unknown.length > 0) throw new UnknownReferencesError(unknown);
    return { items: views.map((v) => availabilityOf(v!)) };
  }

  /** Ordered by name (then id), keyset-paginated. */
  async list(ctx: RequestContext, query: ListItemsQuery): Promise<Page<ItemView>> {
    const limit = query.limit ?? 20;
    const where = new SqlWhere().add('i.tenant_id = ?', ctx.tenantId);
    if (query.sku !== undefined) where.add('i.sku = ?', query.sku);
    if (query.name !== undefined) where.add('starts_with(i.name, ?)', query.name);
    if (query.cursor !== undefined) {
      const [name, id] = this.cursors.decode(CURSOR_KIND, query.cursor, 2);
      where.add('(i.name, i.id) > (?::text, ?::uuid)', name, id);
    }
    const rows = await this.dataSource.query<ItemRow[]>(
      `${ITEM_SELECT} AND ${where} ORDER BY i.name, i.id LIMIT ${where.param(limit + 1)}`,
      where.params,
    );
    return toPage(rows, limit, (last) => this.cursors.encode(CURSOR_KIND, [last.name, last.id]), toItemView);
  }

  /** `on_hand += delta` on one stock row, with its audit row, in one transaction. */
  async adjust(ctx: RequestContext, id: string, dto: AdjustQtyDto): Promise<ItemView> {
    return this.tx.run(async (manager) => {
      const problem = dto.type && adjustmentTypeProblem(dto.type, dto.delta);
      if (problem) throw new ValidationFailedError([{ field: 'type', message: problem }]);
      const warehouseId = dto.warehouse_id ?? (await this.warehouses.defaultId(manager, ctx.tenantId));
      if (dto.delta === 0) {
        // A valid no-op: nothing changes, so nothing is audited.
        await this.stock.assertTargetsExist(manager, ctx.tenantId, id, warehouseId);
        return this.mustFind(manager, ctx.tenantId, id);
      }
      const note = { type: dto.type ?? 'adjusted', reason: dto.reason, reference: dto.reference };
      const stock =
        dto.delta < 0
          ? await this.stock.remove(manager, ctx, id, warehouseId, dto.delta, note)
          : await this.stock.add(manager, ctx, id, warehouseId, dto.delta, note);
      await this.audit.record(manager, ctx, {
        action: 'stock.adjusted',
        objectType: 'item',
        objectId: id,
        oldValue: { warehouse_id: warehouseId, on_hand: stock.on_hand - dto.delta, reserved: stock.reserved },
        newValue: {
          warehouse_id: warehouseId,
          on_hand: stock.on_hand,
          reserved: stock.reserved,
          delta: dto.delta,
          type: note.type,
          reason: dto.reason ?? null,
          reference: dto.reference ?? null,
        },
      });
      return this.mustFind(manager, ctx.tenantId, id);
    });
  }

  /**
   * Soft delete. Idempotent: an unknown or already deleted item is a success too.
   * Refused while units are held, or out on orders whose cancel would put them
   * back (units on a deleted item are units no API shows). The item row is locked
   * first, so no hold or adjustment can slip in, then its stock rows, so that no
   * confirm or cancel is in flight on them while the orders are counted.
   */
  async remove(ctx: RequestContext, id: string): Promise<void> {
    await this.tx.run(async (manager) => {
      if (!(await lockLiveItem(manager, ctx.tenantId, id))) return;
      await this.stock.assertDeletable(manager, ctx, id);
      const before = await this.mustFind(manager, ctx.tenantId, id);
      touchItems(manager, [id]);
      await markDeleted(manager, id);
      await this.audit.record(manager, ctx, {
        action: 'item.deleted',
        objectType: 'item',
        objectId: id,
        oldValue: before,
      });
    });
  }

  /** 404 unless the tenant has or had this item (deleted items included). */
  async assertKnown(ctx: RequestContext, id: string): Promise<void> {
    if (!(await itemExists(this.dataSource.manager, ctx.tenantId, id))) throw new NotFoundError('Item');
  }

  private async mustFind(manager: EntityManager, tenantId: string, id: string): Promise<ItemView> {
    const view = await findItemView(manager, tenantId, id);
    if (!view) throw new NotFoundError('Item');
    return view;
  }
}

/** The unique indexes decide, so two racing writes of one name or SKU give one success and one 400. */
function duplicateOf(err: unknown, dto: { name?: string; sku?: string | null }): unknown {
  if (isPgError(err, PgCode.uniqueViolation, 'item_name_live_key')) return new DuplicateError('name', dto.name ?? '');
  if (isPgError(err, PgCode.uniqueViolation, 'item_sku_live_key')) return new DuplicateError('sku', dto.sku ?? '');
  return err;
}
