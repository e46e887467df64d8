import { ApiProperty } from '@nestjs/swagger';
import type { LedgerCheck, LedgerProblem } from '../ledger-check.js';

class StockSide {
  @ApiProperty({ type: 'integer', example: 5 })
  on_hand!: number;

  @ApiProperty({ type: 'integer', example: 0 })
  reserved!: number;

  @ApiProperty({ description: 'Number of the last movement the row says it had', type: 'integer', example: 3 })
  movement_seq!: number;
}

class LedgerSide {
  @ApiProperty({ description: 'Sum of the on_hand deltas', type: 'integer', example: 4 })
  on_hand!: number;

  @ApiProperty({ description: 'Sum of the reserved deltas', type: 'integer', example: 0 })
  reserved!: number;

  @ApiProperty({ type: 'integer', example: 3 })
  movements!: number;

  @ApiProperty({ type: 'integer', example: 3 })
  last_seq!: number;
}

export class LedgerProblemResponse implements LedgerProblem {
  @ApiProperty({ format: 'uuid', example: '2a3b4c5d-6e7f-4a8b-9c0d-1e2f3a4b5c6d' })
  tenant_id!: string;

  @ApiProperty({ format: 'uuid', example: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11' })
  item_id!: string;

  @ApiProperty({ format: 'uuid', example: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60' })
  warehouse_id!: string;

  @ApiProperty({
    description: 'What does not add up, one line each',
    type: [String],
    example: ['on_hand is 5, its movements add up to 4'],
  })
  problems!: string[];

  @ApiProperty({ type: StockSide, nullable: true, description: 'The stock row; null when there is none' })
  stock!: StockSide | null;

  @ApiProperty({ type: LedgerSide, description: "The row's movements" })
  ledger!: LedgerSide;
}

export class LedgerCheckResponse implements LedgerCheck {
  @ApiProperty({ description: 'Stock rows checked', type: 'integer', example: 1200 })
  stock_rows!: number;

  @ApiProperty({ description: 'Movements checked', type: 'integer', example: 48210 })
  movements!: number;

  @ApiProperty({
    type: [LedgerProblemResponse],
    description: 'Every stock row the ledger does not explain; empty when the books balance',
  })
  problems!: LedgerProblemResponse[];
}
