import { ApiProperty } from '@nestjs/swagger';
import type { WarehouseView } from '../warehouse.repository.js';

export class WarehouseResponse implements WarehouseView {
  @ApiProperty({ format: 'uuid', example: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60' })
  id!: string;

  @ApiProperty({ example: 'BER-1' })
  code!: string;

  @ApiProperty({ example: 'Berlin' })
  name!: string;

  @ApiProperty({ description: 'Reservations without a warehouse take stock from lower values first', example: 1 })
  priority!: number;

  @ApiProperty({
    description: 'The warehouse every tenant starts with; used when a request names none',
    example: false,
  })
  is_default!: boolean;

  @ApiProperty({
    description:
      'false: allocation passes it over and lines naming it are refused (`warehouse_inactive`); its stock stays visible',
    example: true,
  })
  active!: boolean;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  created_at!: string;
}
