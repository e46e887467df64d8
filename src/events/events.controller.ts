import { Controller, Get, Query, Req } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request } from 'express';
import { Ctx, type RequestContext } from '../common/request-context.js';
import { ApiErrors, ApiPageResponse, TENANT_ROUTE_ERRORS } from '../openapi/api-responses.js';
import { EventResponse } from './dto/event.response.js';
import { ListEventsQuery } from './dto/list-events.query.js';
import { EventsService } from './events.service.js';
import { RequireScope } from '../auth/route-access.js';

@ApiTags('events')
@ApiBearerAuth()
@ApiErrors(TENANT_ROUTE_ERRORS)
@Controller('events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @RequireScope('audit:read')
  @ApiOperation({
    summary: 'The event feed: this tenant’s events in one order, after a cursor; never skips one',
    description:
      'Keep calling with `after` = the previous `page.next_cursor` (always set). `wait` holds the request ' +
      'open until an event arrives (long polling). An event appears once every transaction that began before ' +
      'it has ended, so a reader that continues from its cursor never misses one that committed later. ' +
      'One stock row’s events come in `seq` order. A cursor from before what the purge deleted ' +
      '(EVENT_RETENTION_DAYS) is 410 `cursor_expired`.',
  })
  @ApiPageResponse(EventResponse)
  @ApiErrors({ 400: ['validation_failed', 'invalid_cursor'], 410: ['cursor_expired'] })
  list(@Ctx() ctx: RequestContext, @Query() query: ListEventsQuery, @Req() req: Request) {
    return this.events.list(ctx, query, () => req.socket.destroyed);
  }
}
