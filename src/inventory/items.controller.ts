import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { AdjustQtyDto } from './dto/adjust-qty.dto.js';
import { CreateItemDto } from './dto/create-item.dto.js';
import { ListItemsQuery } from './dto/list-items.query.js';
import { ItemsService } from './items.service.js';

@ApiTags('items')
@ApiBearerAuth()
@Controller('items')
export class ItemsController {
  constructor(private readonly items: ItemsService) {}

  @Post()
  @ApiOperation({ summary: 'Create an item, optionally with initial stock in the default warehouse' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateItemDto) {
    return this.items.create(ctx, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List live items by name (filters: sku, name prefix)' })
  list(@Ctx() ctx: RequestContext, @Query() query: ListItemsQuery) {
    return this.items.list(ctx, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an item with its stock per warehouse' })
  get(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.items.get(ctx, id);
  }

  @Patch(':id/qty')
  @ApiOperation({ summary: 'Add or remove units atomically (only available units can be removed)' })
  adjust(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string, @Body() dto: AdjustQtyDto) {
    return this.items.adjust(ctx, id, dto);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ summary: 'Soft-delete an item (idempotent); refused while units are reserved' })
  async remove(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string): Promise<void> {
    await this.items.remove(ctx, id);
  }
}
