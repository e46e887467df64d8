import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { OrderLineView, OrderView, StatusChangeView } from '../order.repository.js';
import { ORDER_STATUSES, type OrderStatus } from '../order-transitions.js';

export class OrderLineResponse implements OrderLineView {
  @ApiProperty({ format: 'uuid', example: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11' })
  item_id!: string;

  @ApiProperty({ format: 'uuid', example: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60' })
  warehouse_id!: string;

  @ApiProperty({ example: 2 })
  quantity!: number;

  @ApiProperty({ description: 'Minor units (cents)', example: 1299 })
  unit_price!: number;

  @ApiProperty({ description: 'quantity × unit_price, minor units', example: 2598 })
  line_total!: number;
}

export class StatusChangeResponse implements StatusChangeView {
  @ApiProperty({
    // null among the values too: OpenAPI 3.0.3 has `nullable` widen the type, not an enum.
    enum: [...ORDER_STATUSES, null],
    nullable: true,
    description: 'null for the creation of the order',
    example: 'pending',
  })
  from!: OrderStatus | null;

  @ApiProperty({ enum: [...ORDER_STATUSES], example: 'confirmed' })
  to!: OrderStatus;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:42:00.000Z' })
  at!: string;

  @ApiProperty({
    description: '`api_key:<id>`, `admin` or `system`',
    example: 'api_key:7a1e2b3c-4d5e-4f60-8a9b-0c1d2e3f4a5b',
  })
  actor!: string;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'e.g. `reservation_expired` when the system cancelled it',
    example: null,
  })
  reason!: string | null;
}

export class OrderResponse implements OrderView {
  @ApiProperty({ format: 'uuid', example: 'b7e4c2d1-9a8f-4e3d-8c2b-1a0f9e8d7c6b' })
  id!: string;

  @ApiProperty({ enum: [...ORDER_STATUSES], example: 'pending' })
  status!: OrderStatus;

  @ApiProperty({ description: 'ISO-4217', example: 'EUR' })
  currency!: string;

  @ApiProperty({ description: 'Σ quantity × unit_price in minor units, computed by the server', example: 2598 })
  total_amount!: number;

  @ApiProperty({ type: String, nullable: true, example: 'cust-42' })
  customer_ref!: string | null;

  @ApiProperty({
    format: 'uuid',
    description: 'The hold behind the order',
    example: '0c6f1d2a-8b3e-4f5a-9d7c-1e2f3a4b5c6d',
  })
  reservation_id!: string;

  @ApiProperty({ type: [OrderLineResponse] })
  lines!: OrderLineResponse[];

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:42:00.000Z' })
  updated_at!: string;

  @ApiPropertyOptional({
    type: [StatusChangeResponse],
    description: 'Every status change, oldest first (GET /api/orders/{id} only)',
  })
  history?: StatusChangeResponse[];
}
