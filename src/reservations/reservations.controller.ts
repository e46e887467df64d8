import { Body, Controller, Get, HttpCode, Param, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreateReservationDto } from './dto/create-reservation.dto.js';
import { ExtendReservationDto } from './dto/extend-reservation.dto.js';
import { ListReservationsQuery } from './dto/list-reservations.query.js';
import { ReservationsService } from './reservations.service.js';

@ApiTags('reservations')
@ApiBearerAuth()
@Controller('reservations')
export class ReservationsController {
  constructor(private readonly reservations: ReservationsService) {}

  @Post()
  @ApiOperation({ summary: 'Hold stock for every line or none, for ttl_seconds (default 600)' })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateReservationDto) {
    return this.reservations.create(ctx, dto);
  }

  @Get()
  @ApiOperation({ summary: 'List reservations, newest first (filters: status, reference)' })
  list(@Ctx() ctx: RequestContext, @Query() query: ListReservationsQuery) {
    return this.reservations.list(ctx, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get a reservation with its lines' })
  get(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.reservations.get(ctx, id);
  }

  @Post(':id/release')
  @HttpCode(200)
  @ApiOperation({ summary: 'Release the held units (idempotent for released or expired holds)' })
  release(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.reservations.release(ctx, id);
  }

  @Post(':id/extend')
  @HttpCode(200)
  @ApiOperation({ summary: 'Move expires_at to now + ttl_seconds (active, unexpired holds only)' })
  extend(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string, @Body() dto: ExtendReservationDto) {
    return this.reservations.extend(ctx, id, dto.ttl_seconds);
  }
}
