import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiSecurity, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { hashApiKey } from '../auth/api-key-secret.js';
import { Public } from '../auth/public.decorator.js';
import { UnauthorizedError } from '../common/errors.js';
import { Env } from '../config/env.js';
import { ApiErrors, METRICS_TOKEN_SCHEME } from '../openapi/api-responses.js';
import { MetricsService } from './metrics.service.js';

const BEARER = /^Bearer\s+(\S{1,512})\s*$/i;

@ApiTags('operations')
@Public()
@Controller('metrics')
export class MetricsController {
  private readonly tokenHash?: Buffer;

  constructor(
    private readonly metrics: MetricsService,
    env: Env,
  ) {
    this.tokenHash = env.METRICS_TOKEN ? hashApiKey(env.METRICS_TOKEN) : undefined;
  }

  /** Not wrapped in the JSON envelope: Prometheus reads its own text format. */
  @Get()
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'Open unless METRICS_TOKEN is set; then `Authorization: Bearer <METRICS_TOKEN>` is required. Not under /api.',
  })
  // Either no credentials (no METRICS_TOKEN configured) or the METRICS_TOKEN, never an API key.
  @ApiSecurity({})
  @ApiBearerAuth(METRICS_TOKEN_SCHEME)
  @ApiOkResponse({
    description: 'Prometheus text format, version 0.0.4',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example:
          '# HELP inventory_reservations_created_total Reservations created (by the API or by orders)\n# TYPE inventory_reservations_created_total counter\ninventory_reservations_created_total 42\n',
      },
    },
  })
  @ApiErrors({ 401: ['unauthorized'] })
  async scrape(@Req() req: Request, @Res() res: Response): Promise<void> {
    if (this.tokenHash) {
      const token = BEARER.exec(req.get('authorization') ?? '')?.[1];
      if (!token || !timingSafeEqual(hashApiKey(token), this.tokenHash))
        throw new UnauthorizedError('Missing or wrong METRICS_TOKEN');
    }
    const body = await this.metrics.scrape();
    res.setHeader('Cache-Control', 'no-store');
    res.type(this.metrics.contentType).send(body);
  }
}
