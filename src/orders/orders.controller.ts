import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import {
  ApiDataResponse,
  ApiErrors,
  ApiPageResponse,
  BODY_ERRORS,
  TENANT_ROUTE_ERRORS,
} from '../openapi/api-responses.js';
import { CreateOrderDto } from './dto/create-order.dto.js';
import { ListOrdersQuery } from './dto/list-orders.query.js';
import { OrderResponse } from './dto/order.response.js';
import { TransitionOrderDto } from './dto/transition-order.dto.js';
import { OrdersService } from './orders.service.js';
import { RequireScope } from '../auth/route-access.js';

@ApiTags('orders')
@ApiBearerAuth()
@ApiErrors(TENANT_ROUTE_ERRORS)
@Controller('orders')
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @RequireScope('orders:write')
  @ApiOperation({ summary: 'Create a pending order from lines (reserving them) or from an active reservation' })
  @ApiDataResponse(OrderResponse, { status: 201, description: 'Created, pending' })
  @ApiBody({
    type: CreateOrderDto,
    examples: {
      lines: {
        summary: 'Order lines (the order reserves them)',
        value: {
          currency: 'EUR',
          customer_ref: 'cust-42',
          lines: [{ item_id: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11', quantity: 2, unit_price: 1299 }],
        },
      },
      sku: {
        summary: 'Order lines by SKU (and, optionally, warehouse code)',
        value: { currency: 'EUR', lines: [{ sku: 'APPLE-1', quantity: 2, unit_price: 1299, warehouse_code: 'BER-1' }] },
      },
      reservation: {
        summary: 'Take over an active reservation',
        value: {
          currency: 'EUR',
          reservation_id: '0c6f1d2a-8b3e-4f5a-9d7c-1e2f3a4b5c6d',
          prices: [{ item_id: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11', unit_price: 1299 }],
        },
      },
    },
  })
  @ApiErrors({
    ...BODY_ERRORS,
    400: [
      'validation_failed',
      'invalid_json',
      'insufficient_stock',
      'warehouse_inactive',
      'reservation_expired',
      'reservation_in_use',
      'invalid_transition',
      'amount_out_of_range',
    ],
    404: ['not_found'],
  })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateOrderDto) {
    return this.orders.create(ctx, dto);
  }

  @Get()
  @RequireScope('orders:read')
  @ApiOperation({ summary: 'List orders with their lines (filters, four sorts, keyset pagination)' })
  @ApiPageResponse(OrderResponse)
  @ApiErrors({ 400: ['validation_failed', 'invalid_cursor'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListOrdersQuery) {
    return this.orders.list(ctx, query);
  }

  @Get(':id')
  @RequireScope('orders:read')
  @ApiOperation({ summary: 'Get an order with its lines and status history' })
  @ApiDataResponse(OrderResponse)
  @ApiErrors({ 404: ['not_found'] })
  get(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.orders.get(ctx, id);
  }

  @Post(':id/transitions')
  @RequireScope('orders:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move the order to another status (confirm deducts stock, cancel returns it)' })
  @ApiDataResponse(OrderResponse, { description: 'The order in its new status' })
  @ApiErrors({
    ...BODY_ERRORS,
    400: ['validation_failed', 'invalid_json', 'invalid_transition', 'reservation_expired'],
    404: ['not_found'],
  })
  transition(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string, @Body() dto: TransitionOrderDto) {
    return this.orders.transition(ctx, id, dto.to);
  }
}
