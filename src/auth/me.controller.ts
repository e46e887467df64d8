import { Controller, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { ApiDataResponse, ApiErrors, TENANT_ROUTE_ERRORS } from '../openapi/api-responses.js';
import { MeResponse } from './dto/me.response.js';

@ApiTags('auth')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  /** No database work beyond the key lookup: also the benchmark's measure of the HTTP stack. */
  @Get()
  @ApiOperation({ summary: 'Which tenant and key this API key is' })
  @ApiDataResponse(MeResponse)
  @ApiErrors(TENANT_ROUTE_ERRORS)
  me(@Ctx() ctx: RequestContext) {
    return { tenant_id: ctx.tenantId, actor: ctx.actor };
  }
}
