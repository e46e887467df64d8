import { Body, Controller, Param, Post, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { CreateApiKeyDto } from './dto/create-api-key.dto.js';
import { CreateTenantDto } from './dto/create-tenant.dto.js';
import { AdminOnly } from './public.decorator.js';
import { TenantsService } from './tenants.service.js';

@ApiTags('admin')
@ApiBearerAuth()
@AdminOnly()
@Controller('admin/tenants')
export class AdminController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant with its default warehouse and first API key (ADMIN_TOKEN)' })
  create(@Body() dto: CreateTenantDto, @Req() req: Request) {
    return this.tenants.create(dto.name, 'admin', req.requestId);
  }

  @Post(':id/api-keys')
  @ApiOperation({ summary: 'Create another API key for a tenant (ADMIN_TOKEN); the key is shown once' })
  createKey(@Param('id', UuidParamPipe) id: string, @Body() dto: CreateApiKeyDto, @Req() req: Request) {
    return this.tenants.createApiKey(id, dto.label ?? 'api', 'admin', req.requestId);
  }
}
