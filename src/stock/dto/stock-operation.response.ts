import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { MOVEMENT_TYPES } from '../../ledger/movement.js';
import { BATCH_MODES, type BatchMode } from './adjust-stock.dto.js';

export class StockLineResultResponse {
  @ApiProperty({ description: "The line's position in the request", example: 0 })
  index!: number;

  @ApiProperty({ format: 'uuid', example: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11' })
  item_id!: string;

  @ApiProperty({ format: 'uuid', example: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60' })
  warehouse_id!: string;

  @ApiProperty({ enum: ['applied', 'failed'], description: '`failed` only in `per_line` mode', example: 'applied' })
  status!: 'applied' | 'failed';

  @ApiPropertyOptional({ enum: [...MOVEMENT_TYPES], description: 'Applied: the movement type', example: 'counted' })
  type?: string;

  @ApiPropertyOptional({ description: 'Applied: what on_hand changed by (0: no movement)', example: -1 })
  delta?: number;

  @ApiPropertyOptional({
    description: "Applied: the row's on_hand after the line; failed with quantity_changed: its current on_hand",
    example: 47,
  })
  on_hand?: number;

  @ApiPropertyOptional({ description: "Applied: the row's reserved units after the line", example: 2 })
  reserved?: number;

  @ApiPropertyOptional({ description: 'Applied: on_hand - reserved after the line', example: 45 })
  available?: number;

  @ApiPropertyOptional({
    description:
      'Failed: `insufficient_stock`, `count_below_reserved`, `quantity_changed`, `quantity_out_of_range` or `not_found`, with its numbers (`requested`/`available`, `counted`/`reserved`, `expected_on_hand`/`on_hand`, `outstanding`/`max`, `field`)',
    example: 'insufficient_stock',
  })
  error?: string;

  @ApiPropertyOptional({ description: 'Failed: why, in words', example: 'only 3 units available, 5 to remove' })
  message?: string;
}

export class StockBatchResponse {
  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Recorded on every movement',
    example: 'erp-sync:2026-12-01',
  })
  reference!: string | null;

  @ApiProperty({ enum: [...BATCH_MODES], example: 'all_or_nothing' })
  mode!: BatchMode;

  @ApiProperty({ description: 'Lines applied', example: 2 })
  applied!: number;

  @ApiProperty({ description: 'Lines left out (only in `per_line` mode)', example: 0 })
  failed!: number;

  @ApiProperty({ type: [StockLineResultResponse], description: 'Every line, in request order' })
  lines!: StockLineResultResponse[];
}

export class TransferSideResponse {
  @ApiProperty({ format: 'uuid', example: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60' })
  warehouse_id!: string;

  @ApiProperty({ description: 'After the transfer', example: 7 })
  on_hand!: number;

  @ApiProperty({ example: 2 })
  reserved!: number;

  @ApiProperty({ example: 5 })
  available!: number;
}

export class TransferResponse {
  @ApiProperty({ description: 'On both movements; made as `transfer:<uuid>` when the request gave none' })
  reference!: string;

  @ApiProperty({ format: 'uuid', example: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11' })
  item_id!: string;

  @ApiProperty({ example: 5 })
  quantity!: number;

  @ApiProperty({ type: TransferSideResponse, description: 'The row the units left (movement `transferred_out`)' })
  from!: TransferSideResponse;

  @ApiProperty({ type: TransferSideResponse, description: 'The row they arrived in (movement `transferred_in`)' })
  to!: TransferSideResponse;
}
