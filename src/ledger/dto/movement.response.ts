import { ApiProperty } from '@nestjs/swagger';
import { MOVEMENT_TYPES, type MovementType } from '../movement.js';
import type { MovementView } from '../movement-list-query.js';

export class MovementResponse implements MovementView {
  @ApiProperty({ description: 'Ledger id (a 64-bit integer, as a string)', example: '4711' })
  id!: string;

  @ApiProperty({ format: 'uuid', example: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11' })
  item_id!: string;

  @ApiProperty({ format: 'uuid', example: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60' })
  warehouse_id!: string;

  @ApiProperty({
    description: 'Number of this movement on its stock row: 1, 2, 3 … without gaps',
    type: 'integer',
    example: 7,
  })
  seq!: number;

  @ApiProperty({ enum: MOVEMENT_TYPES, example: 'received' })
  type!: MovementType;

  @ApiProperty({ description: 'Units added to on_hand (negative: removed)', type: 'integer', example: 10 })
  on_hand_delta!: number;

  @ApiProperty({ description: 'Units added to reserved (negative: freed)', type: 'integer', example: 0 })
  reserved_delta!: number;

  @ApiProperty({ description: 'on_hand of the stock row after this movement', type: 'integer', example: 15 })
  on_hand_after!: number;

  @ApiProperty({ description: 'reserved of the stock row after this movement', type: 'integer', example: 2 })
  reserved_after!: number;

  @ApiProperty({ description: 'on_hand_after - reserved_after', type: 'integer', example: 13 })
  available_after!: number;

  @ApiProperty({ type: String, nullable: true, description: 'Free text given with the change', example: 'delivery' })
  reason!: string | null;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'The document the change belongs to: `po:4711`, `reservation:<id>`, `order:<id>`',
    example: 'po:4711',
  })
  reference!: string | null;

  @ApiProperty({
    description: '`api_key:<id>`, `admin` or `system` (the sweeper)',
    example: 'api_key:7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b',
  })
  actor!: string;

  @ApiProperty({ description: 'The request that made the change', example: '3f2b8c1e-5d4a-4e7b-9c61-2a8f0d9e7b15' })
  request_id!: string;

  @ApiProperty({ format: 'date-time', example: '2026-12-01T12:04:27.123Z' })
  created_at!: string;
}
