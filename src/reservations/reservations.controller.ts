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
import { CreateReservationDto } from './dto/create-reservation.dto.js';
import { ExtendReservationDto } from './dto/extend-reservation.dto.js';
import { ListReservationsQuery } from './dto/list-reservations.query.js';
import { ReservationResponse } from './dto/reservation.response.js';
import { ReservationsService } from './reservations.service.js';
import { RequireScope } from '../auth/route-access.js';
import { GroupCommittedKeys } from '../idempotency/grouped-key.js';

@ApiTags('reservations')
@ApiBearerAuth()
@ApiErrors(TENANT_ROUTE_ERRORS)
@Controller('reservations')
export class ReservationsController {
  constructor(private readonly reservations: ReservationsService) {}

  @Post()
  @RequireScope('reservations:write')
  @GroupCommittedKeys()
  @ApiOperation({ summary: 'Hold stock for every line or none, for ttl_seconds (default 600)' })
  @ApiDataResponse(ReservationResponse, { status: 201, description: 'Held' })
  @ApiBody({
    type: CreateReservationDto,
    examples: {
      any: {
        summary: 'Hold 6 units wherever they are (by warehouse priority)',
        value: {
          lines: [{ item_id: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11', quantity: 6 }],
          ttl_seconds: 300,
          reference: 'cart-123',
        },
      },
      sku: {
        summary: 'Name the item by SKU and the warehouse by code',
        value: { lines: [{ sku: 'APPLE-1', quantity: 2, warehouse_code: 'BER-1' }], reference: 'cart-124' },
      },
      warehouse: {
        summary: 'Hold 2 units in one warehouse',
        value: {
          lines: [
            {
              item_id: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11',
              quantity: 2,
              warehouse_id: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60',
            },
          ],
        },
      },
    },
  })
  @ApiErrors({
    ...BODY_ERRORS,
    400: ['validation_failed', 'invalid_json', 'insufficient_stock', 'warehouse_inactive'],
    404: ['not_found'],
  })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateReservationDto) {
    return this.reservations.create(ctx, dto);
  }

  @Get()
  @RequireScope('inventory:read')
  @ApiOperation({ summary: 'List reservations, newest first (filters: status, reference)' })
  @ApiPageResponse(ReservationResponse)
  @ApiErrors({ 400: ['validation_failed', 'invalid_cursor'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListReservationsQuery) {
    return this.reservations.list(ctx, query);
  }

  @Get(':id')
  @RequireScope('inventory:read')
  @ApiOperation({ summary: 'Get a reservation with its lines' })
  @ApiDataResponse(ReservationResponse)
  @ApiErrors({ 404: ['not_found'] })
  get(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.reservations.get(ctx, id);
  }

  @Post(':id/release')
  @RequireScope('reservations:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Release the held units (idempotent for released or expired holds)' })
  @ApiDataResponse(ReservationResponse, { description: 'The reservation, now released (or already ended)' })
  @ApiErrors({
    400: ['invalid_transition', 'validation_failed'],
    404: ['not_found'],
    409: ['idempotency_key_in_use'],
    422: ['idempotency_key_reused'],
  })
  release(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.reservations.release(ctx, id);
  }

  @Post(':id/extend')
  @RequireScope('reservations:write')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move expires_at to now + ttl_seconds (active, unexpired holds only)' })
  @ApiDataResponse(ReservationResponse, { description: 'The reservation with its new expires_at' })
  @ApiErrors({
    ...BODY_ERRORS,
    400: ['validation_failed', 'invalid_json', 'reservation_expired', 'invalid_transition'],
    404: ['not_found'],
  })
  extend(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string, @Body() dto: ExtendReservationDto) {
    return this.reservations.extend(ctx, id, dto.ttl_seconds);
  }
}
