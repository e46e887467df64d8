import { ApiProperty } from '@nestjs/swagger';
import type { ItemAvailability, WarehouseAvailability } from '../availability.js';

export class WarehouseAvailabilityResponse implements WarehouseAvailability {
  @ApiProperty({ format: 'uuid', example: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60' })
  warehouse_id!: string;

  @ApiProperty({ example: 'DEFAULT' })
  warehouse_code!: string;

  @ApiProperty({ description: 'Units physically in this warehouse', example: 5 })
  on_hand!: number;

  @ApiProperty({ description: 'Units held by active reservations', example: 2 })
  reserved!: number;

  @ApiProperty({ description: 'on_hand - reserved', example: 3 })
  available!: number;
}

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
    type: [WarehouseAvailabilityResponse],
    description: 'Per warehouse with a stock row, in priority order',
  })
  warehouses!: WarehouseAvailabilityResponse[];
}

export class AvailabilityResponse {
  @ApiProperty({ type: [ItemAvailabilityResponse], description: 'One per asked-for item, in the order asked' })
  items!: ItemAvailabilityResponse[];
}
