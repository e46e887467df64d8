import { ApiProperty } from '@nestjs/swagger';
import type { HoldLine } from '../allocation.js';
import { RESERVATION_STATUSES, type ReservationStatus } from '../reservation-status.js';
import type { ReservationView } from '../reservation.repository.js';

export class HoldLineResponse implements HoldLine {
  @ApiProperty({ format: 'uuid', example: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11' })
  item_id!: string;

  @ApiProperty({
    format: 'uuid',
    description: 'Where the units are held',
    example: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60',
  })
  warehouse_id!: string;

  @ApiProperty({ example: 6 })
  quantity!: number;
}

export class ReservationResponse implements ReservationView {
  @ApiProperty({ format: 'uuid', example: '0c6f1d2a-8b3e-4f5a-9d7c-1e2f3a4b5c6d' })
  id!: string;

  @ApiProperty({
    enum: [...RESERVATION_STATUSES],
    description: 'Effective status: a hold past expires_at is `expired` even before the sweeper ran',
    example: 'active',
  })
  status!: ReservationStatus;

  @ApiProperty({ type: String, nullable: true, example: 'cart-123' })
  reference!: string | null;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:46:07.123Z' })
  expires_at!: string;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  updated_at!: string;

  @ApiProperty({ type: [HoldLineResponse], description: 'Units held, per item and warehouse' })
  lines!: HoldLineResponse[];
}
