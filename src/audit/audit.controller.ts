import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { ApiErrors, ApiPageResponse, TENANT_ROUTE_ERRORS } from '../openapi/api-responses.js';
import { AuditLogResponse } from './dto/audit-log.response.js';
import { AuditService } from './audit.service.js';
import { ListAuditLogsQuery } from './dto/list-audit-logs.query.js';
import { RequireScope } from '../auth/route-access.js';

@ApiTags('audit')
@ApiBearerAuth()
@ApiErrors(TENANT_ROUTE_ERRORS)
@Controller('audit-logs')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @RequireScope('audit:read')
  @ApiOperation({ summary: 'List audit rows of this tenant, newest first' })
  @ApiPageResponse(AuditLogResponse)
  @ApiErrors({ 400: ['validation_failed', 'invalid_cursor'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListAuditLogsQuery) {
    return this.audit.list(ctx, query);
  }
}
