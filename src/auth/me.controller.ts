import { Controller, createParamDecorator, type ExecutionContext, Get } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { ApiDataResponse, ApiErrors, TENANT_ROUTE_ERRORS } from '../openapi/api-responses.js';
import { toApiKeyView, type AuthKey } from './api-key.js';
import { MeResponse } from './dto/me.response.js';
import { AnyApiKey } from './route-access.js';

/** The calling key, as the guard found it. */
export const CallingKey = createParamDecorator((_data: unknown, context: ExecutionContext): AuthKey => {
  const key = context.switchToHttp().getRequest<Request>().apiKey;
  if (!key) throw new Error('CallingKey used on a route without an API key');
  return key;
});

@ApiTags('auth')
@ApiBearerAuth()
@Controller('me')
export class MeController {
  /** No database work beyond the key lookup: also the benchmark's measure of the HTTP stack. */
  @Get()
  @AnyApiKey()
  @ApiOperation({
    summary: 'Which tenant and key this API key is: its id, label, scopes, expiry and last use',
    description: 'Any valid key may call it, whatever its scopes.',
  })
  @ApiDataResponse(MeResponse)
  @ApiErrors(TENANT_ROUTE_ERRORS)
  me(@CallingKey() key: AuthKey) {
    return { tenant_id: key.tenant_id, actor: `api_key:${key.id}`, api_key: toApiKeyView(key) };
  }
}
