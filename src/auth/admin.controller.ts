import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { PageQuery } from '../common/page.query.js';
import { adminContext } from '../common/request-context.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { ApiDataResponse, ApiErrors, ApiPageResponse } from '../openapi/api-responses.js';
import { ApiKeysService } from './api-keys.service.js';
import { CreateApiKeyDto } from './dto/create-api-key.dto.js';
import { CreateTenantDto } from './dto/create-tenant.dto.js';
import { RotateApiKeyDto } from './dto/rotate-api-key.dto.js';
import {
  ApiKeyResponse,
  ApiKeyWithSecretResponse,
  TenantCreatedResponse,
  TenantResponse,
} from './dto/tenant.response.js';
import { AdminOnly } from './public.decorator.js';
import { TenantsService } from './tenants.service.js';

const BODY_400 = { 400: ['validation_failed', 'invalid_json'] };
const LIST_400 = { 400: ['validation_failed', 'invalid_cursor'] };

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
  constructor(
    private readonly tenants: TenantsService,
    private readonly keys: ApiKeysService,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant with its default warehouse and first API key (ADMIN_TOKEN)' })
  @ApiDataResponse(TenantCreatedResponse, { status: 201, description: 'Created; the key is shown only here' })
  @ApiErrors({ 400: ['validation_failed', 'invalid_json', 'duplicate_name'] })
  create(@Body() dto: CreateTenantDto, @Req() req: Request) {
    return this.tenants.create(dto.name, 'admin', req.requestId);
  }

  @Get()
  @ApiOperation({ summary: 'List tenants, oldest first, disabled ones included (ADMIN_TOKEN)' })
  @ApiPageResponse(TenantResponse)
  @ApiErrors(LIST_400)
  list(@Query() query: PageQuery) {
    return this.tenants.list(query);
  }

  @Post(':id/disable')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Disable a tenant: its keys are refused (403 tenant_disabled) until it is enabled (ADMIN_TOKEN)',
    description: 'At once on the instance that answers, within AUTH_CACHE_TTL_MS (10 s) on every other. Idempotent.',
  })
  @ApiDataResponse(TenantResponse, { description: 'The tenant, disabled' })
  disable(@Param('id', UuidParamPipe) id: string, @Req() req: Request) {
    return this.tenants.setDisabled(adminContext(id, req.requestId), true);
  }

  @Post(':id/enable')
  @HttpCode(200)
  @ApiOperation({ summary: 'Enable a disabled tenant again (ADMIN_TOKEN); idempotent' })
  @ApiDataResponse(TenantResponse, { description: 'The tenant, enabled' })
  enable(@Param('id', UuidParamPipe) id: string, @Req() req: Request) {
    return this.tenants.setDisabled(adminContext(id, req.requestId), false);
  }

  @Post(':id/api-keys')
  @ApiOperation({ summary: 'Create another API key for a tenant, with its scopes and expiry (ADMIN_TOKEN)' })
  @ApiDataResponse(ApiKeyWithSecretResponse, { status: 201, description: 'Created; the key is shown only here' })
  @ApiErrors(BODY_400)
  createKey(@Param('id', UuidParamPipe) id: string, @Body() dto: CreateApiKeyDto, @Req() req: Request) {
    return this.keys.create(adminContext(id, req.requestId), dto);
  }

  @Get(':id/api-keys')
  @ApiOperation({ summary: "List a tenant's API keys, oldest first, revoked and expired ones included (ADMIN_TOKEN)" })
  @ApiPageResponse(ApiKeyResponse)
  @ApiErrors(LIST_400)
  listKeys(@Param('id', UuidParamPipe) id: string, @Query() query: PageQuery) {
    return this.keys.list(id, query);
  }

  @Delete(':id/api-keys/:key')
  @HttpCode(204)
  @ApiOperation({
    summary: 'Revoke an API key for good (ADMIN_TOKEN); idempotent',
    description: 'Refused (401) at once on the instance that answers, within AUTH_CACHE_TTL_MS (10 s) on every other.',
  })
  @ApiNoContentResponse({ description: 'Revoked (also when it already was)' })
  async revokeKey(
    @Param('id', UuidParamPipe) id: string,
    @Param('key', UuidParamPipe) key: string,
    @Req() req: Request,
  ): Promise<void> {
    await this.keys.revoke(adminContext(id, req.requestId), key);
  }

  @Post(':id/api-keys/:key/rotate')
  @ApiOperation({
    summary: 'A new key in place of this one, shown once; the old one works on until revoked or expired (ADMIN_TOKEN)',
    description:
      "The new key takes the old one's label and scopes unless given. `old_key_expires_at` ends the old key " +
      'sooner (never later than its own expiry); without it, revoke the old key once its users have moved.',
  })
  @ApiDataResponse(ApiKeyWithSecretResponse, { status: 201, description: 'The new key; the secret is shown only here' })
  @ApiErrors(BODY_400)
  rotateKey(
    @Param('id', UuidParamPipe) id: string,
    @Param('key', UuidParamPipe) key: string,
    @Body() dto: RotateApiKeyDto,
    @Req() req: Request,
  ) {
    return this.keys.rotate(adminContext(id, req.requestId), key, dto);
  }
}
