import { ApiProperty } from '@nestjs/swagger';

export class HealthIndicatorResponse {
  @ApiProperty({ enum: ['up', 'down'], example: 'up' })
  status!: string;
}

/** Terminus' result, inside the usual `{ request_id, data }` envelope. */
export class HealthResponse {
  @ApiProperty({ enum: ['ok'], example: 'ok' })
  status!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: { $ref: '#/components/schemas/HealthIndicatorResponse' },
    description: 'The checks that passed',
    example: { database: { status: 'up' }, migrations: { status: 'up', pending: false } },
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
    example: { database: { status: 'up' }, migrations: { status: 'up', pending: false } },
  })
  details!: Record<string, HealthIndicatorResponse>;
}
