import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiNoContentResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import {
  ApiDataResponse,
  ApiErrors,
  ApiPageResponse,
  BODY_ERRORS,
  IDEMPOTENCY_ERRORS,
  TENANT_ROUTE_ERRORS,
} from '../openapi/api-responses.js';
import { AdjustQtyDto } from './dto/adjust-qty.dto.js';
import { CreateItemDto } from './dto/create-item.dto.js';
import { ItemResponse } from './dto/item.response.js';
import { ListItemsQuery } from './dto/list-items.query.js';
import { UpdateItemDto } from './dto/update-item.dto.js';
import { ItemsService } from './items.service.js';
import { RequireScope } from '../auth/route-access.js';

@ApiTags('items')
@ApiBearerAuth()
@ApiErrors(TENANT_ROUTE_ERRORS)
@Controller('items')
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @Post()
  @RequireScope('inventory:write')
  @ApiOperation({ summary: 'Create an item, optionally with initial stock in the default warehouse' })
  @ApiDataResponse(ItemResponse, { status: 201, description: 'Created' })
  @ApiErrors({ ...BODY_ERRORS, 400: ['validation_failed', 'invalid_json', 'duplicate_name', 'duplicate_sku'] })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateItemDto) {
    return this.items.create(ctx, dto);
  }

  @Get()
  @RequireScope('inventory:read')
  @ApiOperation({ summary: 'List live items by name (filters: sku, name prefix)' })
  @ApiPageResponse(ItemResponse)
  @ApiErrors({ 400: ['validation_failed', 'invalid_cursor'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListItemsQuery) {
    return this.items.list(ctx, query);
  }

  @Get('sku/:sku')
  @RequireScope('inventory:read')
  @ApiOperation({ summary: 'Get a live item by its SKU, with its stock per warehouse' })
  @ApiParam({ name: 'sku', example: 'APPLE-1', description: 'The SKU; an unknown one (or a deleted item) is 404' })
  @ApiDataResponse(ItemResponse)
  @ApiErrors({ 404: ['not_found'] })
  getBySku(@Ctx() ctx: RequestContext, @Param('sku') sku: string) {
    return this.items.getBySku(ctx, sku);
  }

  @Get(':id')
  @RequireScope('inventory:read')
  @ApiOperation({ summary: 'Get an item with its stock per warehouse' })
  @ApiDataResponse(ItemResponse)
  @ApiErrors({ 404: ['not_found'] })
  get(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.items.get(ctx, id);
  }

  @Patch(':id')
  @RequireScope('inventory:write')
  @ApiOperation({
    summary:
      'Change name, sku, description or reorder_point (at least one; null clears sku, description, reorder_point)',
  })
  @ApiDataResponse(ItemResponse, { description: 'The item after the change' })
  @ApiErrors({
    ...BODY_ERRORS,
    400: ['validation_failed', 'invalid_json', 'duplicate_name', 'duplicate_sku'],
    404: ['not_found'],
  })
  update(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string, @Body() dto: UpdateItemDto) {
    return this.items.update(ctx, id, dto);
  }

  @Patch(':id/qty')
  @RequireScope('inventory:write')
  @ApiOperation({ summary: 'Add or remove units atomically (only available units can be removed)' })
  @ApiDataResponse(ItemResponse, { description: 'The item after the change' })
  @ApiBody({
    type: AdjustQtyDto,
    examples: {
      remove: { summary: 'Remove a damaged unit (default warehouse)', value: { delta: -1, reason: 'damaged' } },
      add: {
        summary: 'Add 10 units to a warehouse',
        value: { delta: 10, warehouse_id: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60', reason: 'delivery' },
      },
    },
  })
  @ApiErrors({
    ...BODY_ERRORS,
    400: ['validation_failed', 'invalid_json', 'insufficient_stock', 'quantity_out_of_range'],
    404: ['not_found'],
  })
  adjust(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string, @Body() dto: AdjustQtyDto) {
    return this.items.adjust(ctx, id, dto);
  }

  @Delete(':id')
  @RequireScope('inventory:write')
  @HttpCode(204)
  @ApiOperation({
    summary:
      'Soft-delete an item (idempotent); refused while units are reserved or out on confirmed or processing orders',
  })
  @ApiNoContentResponse({ description: 'Deleted (also when it already was)' })
  @ApiErrors({ ...IDEMPOTENCY_ERRORS, 400: ['item_in_use', 'validation_failed'], 404: ['not_found'] })
  async remove(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.items.remove(ctx, id);
  }
}
