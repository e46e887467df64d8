import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiNoContentResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import {
  ApiDataResponse,
  ApiErrors,
  ApiPageResponse,
  BODY_ERRORS,
  IDEMPOTENCY_ERRORS,
  TENANT_ROUTE_ERRORS,
} from '../openapi/api-responses.js';
import { DeliveriesService } from './deliveries.service.js';
import { CreateWebhookDto } from './dto/create-webhook.dto.js';
import { DeliveryResponse, ReplayResponse } from './dto/delivery.response.js';
import { ListDeliveriesQuery, ListWebhooksQuery } from './dto/list-webhooks.query.js';
import { ReplayDto } from './dto/replay.dto.js';
import { UpdateWebhookDto } from './dto/update-webhook.dto.js';
import { WebhookResponse, WebhookWithSecretResponse } from './dto/webhook.response.js';
import { WebhooksService } from './webhooks.service.js';
import { RequireScope } from '../auth/route-access.js';

const URL_ERRORS = { ...BODY_ERRORS, 400: ['validation_failed', 'invalid_json', 'url_not_allowed'] };

@ApiTags('webhooks')
@ApiBearerAuth()
@ApiErrors(TENANT_ROUTE_ERRORS)
@Controller('webhooks')
export class WebhooksController {
  constructor(
    private readonly webhooks: WebhooksService,
    private readonly deliveries: DeliveriesService,
  ) {}

  @Post()
  @RequireScope('webhooks:manage')
  @ApiOperation({ summary: 'Register an endpoint: the events it wants are POSTed to it, signed (secret shown once)' })
  @ApiDataResponse(WebhookWithSecretResponse, { status: 201, description: 'Created, with its signing secret' })
  @ApiErrors(URL_ERRORS)
  create(@Ctx() ctx: RequestContext, @Body() dto: CreateWebhookDto) {
    return this.webhooks.create(ctx, dto);
  }

  @Get()
  @RequireScope('webhooks:manage')
  @ApiOperation({ summary: 'List endpoints, oldest first' })
  @ApiPageResponse(WebhookResponse)
  @ApiErrors({ 400: ['validation_failed', 'invalid_cursor'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListWebhooksQuery) {
    return this.webhooks.list(ctx, query);
  }

  @Get(':id')
  @RequireScope('webhooks:manage')
  @ApiOperation({ summary: 'Get an endpoint (without its secret)' })
  @ApiDataResponse(WebhookResponse)
  @ApiErrors({ 404: ['not_found'] })
  get(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.webhooks.get(ctx, id);
  }

  @Patch(':id')
  @RequireScope('webhooks:manage')
  @ApiOperation({ summary: 'Change url, event types, description or active (true also turns a disabled one on)' })
  @ApiDataResponse(WebhookResponse, { description: 'The endpoint after the change' })
  @ApiErrors({ ...URL_ERRORS, 404: ['not_found'] })
  update(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string, @Body() dto: UpdateWebhookDto) {
    return this.webhooks.update(ctx, id, dto);
  }

  @Delete(':id')
  @RequireScope('webhooks:manage')
  @HttpCode(204)
  @ApiOperation({ summary: 'Delete an endpoint with its deliveries' })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiErrors({ ...IDEMPOTENCY_ERRORS, 400: ['validation_failed'], 404: ['not_found'] })
  remove(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.webhooks.remove(ctx, id);
  }

  @Post(':id/rotate-secret')
  @RequireScope('webhooks:manage')
  @ApiOperation({ summary: 'A new signing secret, shown once; the old one also signs for 24 h' })
  @ApiDataResponse(WebhookWithSecretResponse, { status: 201, description: 'The endpoint with its new secret' })
  @ApiErrors({ ...BODY_ERRORS, 404: ['not_found'] })
  rotate(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string) {
    return this.webhooks.rotateSecret(ctx, id);
  }

  @Get(':id/deliveries')
  @RequireScope('webhooks:manage')
  @ApiOperation({ summary: 'The endpoint’s deliveries, newest first, each with its status and attempts' })
  @ApiPageResponse(DeliveryResponse)
  @ApiErrors({ 400: ['validation_failed', 'invalid_cursor'], 404: ['not_found'] })
  listDeliveries(
    @Ctx() ctx: RequestContext,
    @Param('id', UuidParamPipe) id: string,
    @Query() query: ListDeliveriesQuery,
  ) {
    return this.deliveries.list(ctx, id, query);
  }

  @Post(':id/deliveries/:delivery/retry')
  @RequireScope('webhooks:manage')
  @ApiOperation({ summary: 'Send one delivery again now (a failed one included)' })
  @ApiDataResponse(DeliveryResponse, { status: 201, description: 'The delivery, due now' })
  @ApiErrors({ ...BODY_ERRORS, 404: ['not_found'] })
  retry(
    @Ctx() ctx: RequestContext,
    @Param('id', UuidParamPipe) id: string,
    @Param('delivery', UuidParamPipe) delivery: string,
  ) {
    return this.deliveries.retry(ctx, id, delivery);
  }

  @Post(':id/replay')
  @RequireScope('webhooks:manage')
  @ApiOperation({
    summary: 'Send again the events after a feed cursor (`after`) or since a time (`from`)',
    description:
      'A new delivery for each event of the endpoint’s types that it has already been given, in feed order, ' +
      'with the same webhook-id as before (at most 10,000 per call; `next_after` continues).',
  })
  @ApiDataResponse(ReplayResponse, { status: 201, description: 'Deliveries made' })
  @ApiErrors({
    ...BODY_ERRORS,
    400: ['validation_failed', 'invalid_json', 'invalid_cursor'],
    404: ['not_found'],
    410: ['cursor_expired'],
  })
  replay(@Ctx() ctx: RequestContext, @Param('id', UuidParamPipe) id: string, @Body() dto: ReplayDto) {
    return this.deliveries.replay(ctx, id, dto);
  }
}
