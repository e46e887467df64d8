import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { RequireScope } from '../auth/route-access.js';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { ApiDataResponse, ApiErrors, BODY_ERRORS, TENANT_ROUTE_ERRORS } from '../openapi/api-responses.js';
import { AvailabilityDto } from './dto/availability.dto.js';
import { AvailabilityResponse } from './dto/availability.response.js';
import { ItemsService } from './items.service.js';

@ApiTags('items')
@ApiBearerAuth()
@ApiErrors(TENANT_ROUTE_ERRORS)
@Controller('availability')
export class AvailabilityController {
  constructor(private readonly items: ItemsService) {}

  @Post()
  @HttpCode(200)
  @RequireScope('inventory:read')
  @ApiOperation({
    summary:
      'Available, on hand and reserved units of up to 500 items (by item_id or sku), per warehouse and in total; a read',
  })
  @ApiDataResponse(AvailabilityResponse)
  @ApiErrors({ ...BODY_ERRORS, 400: ['validation_failed', 'invalid_json'], 404: ['not_found'] })
  availability(@Ctx() ctx: RequestContext, @Body() dto: AvailabilityDto) {
    return this.items.availability(ctx, dto);
  }
}
