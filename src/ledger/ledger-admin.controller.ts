import { Controller, Get, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import { AdminOnly } from '../auth/public.decorator.js';
import { ApiDataResponse, ApiErrors } from '../openapi/api-responses.js';
import { LedgerCheckQuery } from './dto/ledger-check.query.js';
import { LedgerCheckResponse } from './dto/ledger-check.response.js';
import { LedgerService } from './ledger.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
// Without ADMIN_TOKEN the admin routes answer 404 not_found; a tenant key gets 403.
@ApiErrors({ 401: ['unauthorized'], 403: ['forbidden'], 404: ['not_found'], 500: ['internal_error'] })
@Controller('admin/ledger')
export class LedgerAdminController {
  constructor(private readonly ledger: LedgerService) {}

  @Get()
  @ApiOperation({
    summary: 'Check the stock ledger (ADMIN_TOKEN): every stock row whose movements do not explain it (npm run verify)',
  })
  @ApiDataResponse(LedgerCheckResponse)
  @ApiErrors({ 400: ['validation_failed'], 503: ['service_unavailable'] })
  check(@Query() query: LedgerCheckQuery) {
    return this.ledger.check(query.tenant_id);
  }
}
