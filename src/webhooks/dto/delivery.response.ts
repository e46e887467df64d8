import { ApiProperty } from '@nestjs/swagger';

export class AttemptResponse {
  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  started_at!: string;

  @ApiProperty({ example: 42 })
  duration_ms!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'null: no HTTP answer', example: 200 })
  status_code!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'Why it failed', example: null })
  error!: string | null;

  @ApiProperty({ example: true })
  succeeded!: boolean;
}

export class DeliveryResponse {
  @ApiProperty({ format: 'uuid', example: '7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f' })
  id!: string;

  @ApiProperty({ description: 'The event delivered: also the webhook-id header', example: '1234' })
  event_id!: string;

  @ApiProperty({ example: 'stock.changed' })
  event_type!: string;

  @ApiProperty({
    enum: ['pending', 'succeeded', 'failed'],
    description: 'pending: not yet sent or waiting for a retry; failed: given up',
    example: 'succeeded',
  })
  status!: string;

  @ApiProperty({ example: 1 })
  attempts!: number;

  @ApiProperty({ format: 'date-time', description: 'When it is due (pending)', example: '2024-11-21T19:41:07.123Z' })
  next_attempt_at!: string;

  @ApiProperty({ type: Number, nullable: true, example: 200 })
  last_status_code!: number | null;

  @ApiProperty({ type: String, nullable: true, example: null })
  last_error!: string | null;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  created_at!: string;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: '2024-11-21T19:41:07.166Z' })
  delivered_at!: string | null;

  @ApiProperty({ type: [AttemptResponse], description: 'The last 20 attempts, oldest first' })
  attempt_log!: AttemptResponse[];
}

export class ReplayResponse {
  @ApiProperty({ description: 'Deliveries made (at most 10,000 per call)', example: 12 })
  deliveries!: number;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'When more events were left: replay again with this as `after`; null: done',
    example: null,
  })
  next_after!: string | null;
}
