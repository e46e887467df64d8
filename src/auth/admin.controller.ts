import { Body, Controller, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { ApiDataResponse, ApiErrors } from '../openapi/api-responses.js';
import { CreateApiKeyDto } from './dto/create-api-key.dto.js';
import { CreateTenantDto } from './dto/create-tenant.dto.js';
import { ApiKeyResponse, TenantCreatedResponse } from './dto/tenant.response.js';
import { AdminOnly } from './public.decorator.js';
import { TenantsService } from './tenants.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
// Without ADMIN_TOKEN the admin routes answer 404 not_found; a tenant key gets 403.
@ApiErrors({
  401: ['unauthorized'],
  403: ['forbidden'],
  404: ['not_found'],
  413: ['payload_too_large'],
  500: ['internal_error'],
  503: ['service_unavailable'],
})
@Controller('admin/tenants')
export class AdminController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant with its default warehouse and first API key (ADMIN_TOKEN)' })
  @ApiDataResponse(TenantCreatedResponse, { status: 201, description: 'Created; the key is shown only here' })
  @ApiErrors({ 400: ['validation_failed', 'invalid_json', 'duplicate_name'] })
  create(@Body() dto: CreateTenantDto, @Req() req: Request) {
    return this.tenants.create(dto.name, 'admin', req.requestId);
  }

  @Post(':id/api-keys')
  @ApiOperation({ summary: 'Create another API key for a tenant (ADMIN_TOKEN); the key is shown once' })
  @ApiDataResponse(ApiKeyResponse, { status: 201, description: 'Created; the key is shown only here' })
  @ApiErrors({ 400: ['validation_failed', 'invalid_json'] })
  createKey(@Param('id', UuidParamPipe) id: string, @Body() dto: CreateApiKeyDto, @Req() req: Request) {
    return this.tenants.createApiKey(id, dto.label ?? 'api', 'admin', req.requestId);
  }
}
