import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreateOrderDto } from './dto/create-order.dto.js';
import { ListOrdersQuery } from './dto/list-orders.query.js';
import { TransitionOrderDto } from './dto/transition-order.dto.js';
import { OrdersService } from './orders.service.js';

@ApiTags('orders')
@ApiBearerAuth()
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @ApiOperation({ summary: 'Create a pending order from lines (reserving them) or from an active reservation' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateOrderDto) {
    return this.orders.create(ctx, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List orders with their lines (filters, four sorts, keyset pagination)' })
  list(@Ctx() ctx: RequestContext, @Query() query: ListOrdersQuery) {
    return this.orders.list(ctx, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get an order with its lines and status history' })
  get(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.orders.get(ctx, id);
  }

  @Post(':id/transitions')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move the order to another status (confirm deducts stock, cancel returns it)' })
  transition(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string, @Body() dto: TransitionOrderDto) {
    return this.orders.transition(ctx, id, dto.to);
  }
}
