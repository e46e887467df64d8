import { Body, Controller, Get, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import {
  ApiDataResponse,
  ApiErrors,
  ApiPageResponse,
  BODY_ERRORS,
  TENANT_ROUTE_ERRORS,
} from '../openapi/api-responses.js';
import { CreateWarehouseDto } from './dto/create-warehouse.dto.js';
import { ListWarehousesQuery } from './dto/list-warehouses.query.js';
import { UpdateWarehouseDto } from './dto/update-warehouse.dto.js';
import { WarehouseResponse } from './dto/warehouse.response.js';
import { WarehousesService } from './warehouses.service.js';
import { RequireScope } from '../auth/route-access.js';

@ApiTags('warehouses')
@ApiBearerAuth()
@ApiErrors(TENANT_ROUTE_ERRORS)
@Controller('warehouses')
export class WarehousesController {
  constructor(private readonly warehouses: WarehousesService) {}

  @Post()
  @RequireScope('inventory:write')
  @ApiOperation({ summary: 'Create a warehouse (code unique per tenant)' })
  @ApiDataResponse(WarehouseResponse, { status: 201, description: 'Created' })
  @ApiErrors({ ...BODY_ERRORS, 400: ['validation_failed', 'invalid_json', 'duplicate_code'] })
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateWarehouseDto) {
    return this.warehouses.create(ctx, dto);
  }

  @Get()
  @RequireScope('inventory:read')
  @ApiOperation({ summary: 'List warehouses in allocation order (priority, then id)' })
  @ApiPageResponse(WarehouseResponse)
  @ApiErrors({ 400: ['validation_failed', 'invalid_cursor'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListWarehousesQuery) {
    return this.warehouses.list(ctx, query);
  }

  @Get(':id')
  @RequireScope('inventory:read')
  @ApiOperation({ summary: 'Get a warehouse' })
  @ApiDataResponse(WarehouseResponse)
  @ApiErrors({ 404: ['not_found'] })
  get(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.warehouses.get(ctx, id);
  }

  @Patch(':id')
  @RequireScope('inventory:write')
  @ApiOperation({ summary: 'Change name, priority or active (inactive: allocation stops using it, stock stays)' })
  @ApiDataResponse(WarehouseResponse, { description: 'The warehouse after the change' })
  @ApiErrors({ ...BODY_ERRORS, 400: ['validation_failed', 'invalid_json'], 404: ['not_found'] })
  update(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string, @Body() dto: UpdateWarehouseDto) {
    return this.warehouses.update(ctx, id, dto);
  }
}
