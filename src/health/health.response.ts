import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One check, as terminus reports it. */
export class HealthIndicatorResponse {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status!: string;

  @ApiPropertyOptional({ type: 'integer', description: 'How long the check took, in ms (database)', example: 2 })
  responseTime?: number;

  @ApiPropertyOptional({
    description: 'Whether a migration of the code is not applied yet (migrations)',
    example: false,
  })
  pending?: boolean;
}

const HEALTH_EXAMPLE = {
  database: { status: 'up', responseTime: 2 },
  migrations: { status: 'up', pending: false, responseTime: 3 },
};

/** Terminus' result, inside the usual `{ request_id, data }` envelope. */
export class HealthResponse {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/HealthIndicatorResponse' },
    description: 'The checks that passed',
    example: HEALTH_EXAMPLE,
  })
  info!: Record<string, HealthIndicatorResponse>;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The checks that failed (empty on 200)',
    example: {},
  })
  error!: Record<string, HealthIndicatorResponse>;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/HealthIndicatorResponse' },
    description: 'Every check',
    example: HEALTH_EXAMPLE,
  })
  details!: Record<string, HealthIndicatorResponse>;
}
