import { Controller, Get, HttpStatus, Logger, ServiceUnavailableException } from '@nestjs/common';
import { ApiExtraModels, ApiOperation, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { Public } from '../auth/public.decorator.js';
import { DomainError } from '../common/errors.js';
import { ShutdownState } from '../lifecycle/shutdown-state.js';
import { ApiDataResponse, ApiErrors } from '../openapi/api-responses.js';
import { HealthIndicatorResponse, HealthResponse } from './health.response.js';
import { ReadinessIndicators } from './readiness.indicators.js';

/** A probe takes no input; the one client error it answers is the body parser's, before any route. */
const PROBE_CLIENT_ERRORS = { 400: ['invalid_json'] };

/**
 * Probes for orchestrators: no API key, outside /api, not rate limited (the rate
 * limit counts API keys, and these routes have none). Success is terminus'
 * result in the usual envelope; failure is the API's error body (503
 * service_unavailable) naming the failed checks, whose reasons are only logged.
 */
@ApiTags('operations')
@ApiExtraModels(HealthIndicatorResponse)
@Public()
@Controller('health')
export class HealthController {
  private readonly logger = new Logger('Health');

  constructor(
    private readonly health: HealthCheckService,
    private readonly readiness: ReadinessIndicators,
    private readonly shutdown: ShutdownState,
  ) {}

  @Get('live')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Liveness: the process is up and serving HTTP (checks nothing else)' })
  @ApiDataResponse(HealthResponse, { description: 'Alive' })
  @ApiErrors({ ...PROBE_CLIENT_ERRORS, 500: ['internal_error'] })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck({ noCache: true, swaggerDocumentation: false })
  @ApiOperation({ summary: 'Readiness: the database answers and no migration is pending' })
  @ApiDataResponse(HealthResponse, { description: 'Ready to serve' })
  @ApiErrors({ ...PROBE_CLIENT_ERRORS, 503: ['service_unavailable'] })
  async ready(): Promise<HealthCheckResult> {
    // From the shutdown signal on, while requests are still served: load balancers take the instance out first.
    if (this.shutdown.shuttingDown) {
      throw new DomainError('service_unavailable', 'Not ready: shutting down', HttpStatus.SERVICE_UNAVAILABLE, [
        { check: 'shutdown', status: 'down' },
      ]);
    }
    try {
      return await this.health.check([() => this.readiness.database(), () => this.readiness.migrations()]);
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      const result = err.getResponse() as HealthCheckResult;
      const failed = Object.entries(result.error ?? {});
      this.logger.warn({ msg: 'not ready', checks: result.error });
      throw new DomainError(
        'service_unavailable',
        `Not ready: ${failed.map(([name]) => name).join(', ') || 'shutting down'}`,
        HttpStatus.SERVICE_UNAVAILABLE,
        failed.map(([check]) => ({ check, status: 'down' })),
      );
    }
  }
}
