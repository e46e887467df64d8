import { ApiProperty } from '@nestjs/swagger';
import type { ItemView, StockView } from '../item.repository.js';

export class StockResponse implements StockView {
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

export class ItemResponse implements ItemView {
  @ApiProperty({ format: 'uuid', example: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11' })
  id!: string;

  @ApiProperty({ type: String, nullable: true, example: 'APPLE-1' })
  sku!: string | null;

  @ApiProperty({ example: 'apple' })
  name!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Braeburn, 1 kg bag' })
  description!: string | null;

  @ApiProperty({ description: 'Units on hand over all warehouses', example: 5 })
  qty!: number;

  @ApiProperty({ description: 'Units held by active reservations over all warehouses', example: 2 })
  reserved!: number;

  @ApiProperty({ description: 'qty - reserved: what can still be reserved or removed', example: 3 })
  available!: number;

  @ApiProperty({
    type: Number,
    nullable: true,
    description: 'Reorder point: low_stock is true while available <= it; null: none',
    example: 10,
  })
  reorder_point!: number | null;

  @ApiProperty({ description: 'available <= reorder_point (always false without a reorder point)', example: false })
  low_stock!: boolean;

  @ApiProperty({ type: [StockResponse], description: 'Stock per warehouse, in allocation order' })
  stock!: StockResponse[];

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:45:00.456Z' })
  updated_at!: string;
}
