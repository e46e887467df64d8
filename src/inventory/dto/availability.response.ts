import { ApiProperty } from '@nestjs/swagger';
import type { ItemAvailability } from '../availability.js';
import { StockResponse } from './item.response.js';

export class ItemAvailabilityResponse implements ItemAvailability {
  @ApiProperty({ format: 'uuid', example: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11' })
  item_id!: string;

  @ApiProperty({ type: String, nullable: true, example: 'APPLE-1' })
  sku!: string | null;

  @ApiProperty({ description: 'Units on hand over all warehouses', example: 5 })
  on_hand!: number;

  @ApiProperty({ description: 'Units held by active reservations over all warehouses', example: 2 })
  reserved!: number;

  @ApiProperty({ description: 'on_hand - reserved over all warehouses', example: 3 })
  available!: number;

  @ApiProperty({
    type: [StockResponse],
    description: 'Per warehouse with a stock row, in priority order',
  })
  warehouses!: StockResponse[];
}

export class AvailabilityResponse {
  @ApiProperty({ type: [ItemAvailabilityResponse], description: 'One per asked-for item, in the order asked' })
  items!: ItemAvailabilityResponse[];
}
