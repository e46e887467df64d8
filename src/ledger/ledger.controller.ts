import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { ApiErrors, ApiPageResponse, TENANT_ROUTE_ERRORS } from '../openapi/api-responses.js';
import { ItemMovementsQuery, ListMovementsQuery } from './dto/list-movements.query.js';
import { MovementResponse } from './dto/movement.response.js';
import { LedgerService } from './ledger.service.js';
import { RequireScope } from '../auth/route-access.js';

@ApiTags('stock ledger')
@ApiBearerAuth()
@ApiErrors(TENANT_ROUTE_ERRORS)
@Controller()
export class LedgerController {
  constructor(private readonly ledger: LedgerService) {}

  @Get('stock-movements')
  @RequireScope('inventory:read')
  @ApiOperation({
    summary: 'List stock movements of this tenant, newest first (filters: item, warehouse, type, reference, from/to)',
  })
  @ApiPageResponse(MovementResponse)
  @ApiErrors({ 400: ['validation_failed', 'invalid_cursor'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListMovementsQuery) {
    return this.ledger.list(ctx, query);
  }

  @Get('items/:id/movements')
  @RequireScope('inventory:read')
  @ApiOperation({ summary: "List an item's stock movements, newest first (a deleted item's too)" })
  @ApiPageResponse(MovementResponse)
  @ApiErrors({ 400: ['validation_failed', 'invalid_cursor'], 404: ['not_found'] })
  listOfItem(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string, @Query() query: ItemMovementsQuery) {
    return this.ledger.listOfItem(ctx, id, query);
  }
}
