import { ApiProperty } from '@nestjs/swagger';
import type { AuditLogView } from '../audit.service.js';

export class AuditLogResponse implements AuditLogView {
  @ApiProperty({ format: 'uuid', example: 'e1d2c3b4-a596-4788-9a0b-1c2d3e4f5a6b' })
  id!: string;

  @ApiProperty({
    description: '`api_key:<id>`, `admin` or `system`',
    example: 'api_key:7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b',
  })
  actor!: string;

  @ApiProperty({ example: 'stock.adjusted' })
  action!: string;

  @ApiProperty({ example: 'item' })
  object_type!: string;

  @ApiProperty({ format: 'uuid', example: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11' })
  object_id!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'State before (JSON)',
    example: { on_hand: 5 },
  })
  old_value!: unknown;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    nullable: true,
    description: 'State after (JSON)',
    example: { on_hand: 4, reason: 'damaged' },
  })
  new_value!: unknown;

  @ApiProperty({ description: 'The request that made the change', example: '3f2b8c1e-5d4a-4e7b-9c61-2a8f0d9e7b15' })
  request_id!: string;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  created_at!: string;
}
