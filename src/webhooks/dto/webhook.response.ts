import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import type { WebhookView } from '../webhook.repository.js';

export class WebhookResponse implements WebhookView {
  @ApiProperty({ format: 'uuid', example: '0b7e5c1a-2f44-4d8e-9b1f-6a3c2d1e0f9a' })
  id!: string;

  @ApiProperty({ example: 'https://shop.example.com/hooks/inventory' })
  url!: string;

  @ApiProperty({ type: String, nullable: true, example: 'storefront availability' })
  description!: string | null;

  @ApiProperty({
    type: [String],
    nullable: true,
    description: 'The event types delivered; null: every type',
    example: ['stock.changed', 'order.status_changed'],
  })
  event_types!: string[] | null;

  @ApiProperty({ description: 'Events per message: 1, one event each; more, batches of up to that many', example: 1 })
  batch_size!: number;

  @ApiProperty({ description: 'false: nothing is delivered (turned off, or disabled by the relay)', example: true })
  active!: boolean;

  @ApiProperty({
    type: String,
    nullable: true,
    description: 'Why the relay disabled it (PATCH active=true turns it on again)',
    example: null,
  })
  disabled_reason!: string | null;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, example: null })
  disabled_at!: string | null;

  @ApiProperty({ description: 'Failed delivery rounds in a row (0 after any success)', example: 0 })
  consecutive_failures!: number;

  @ApiProperty({ type: String, format: 'date-time', nullable: true, description: 'Failing since', example: null })
  failing_since!: string | null;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  created_at!: string;

  @ApiProperty({ format: 'date-time', example: '2024-11-21T19:41:07.123Z' })
  updated_at!: string;
}

export class WebhookWithSecretResponse extends WebhookResponse {
  @ApiProperty({
    description:
      'The signing secret (Standard Webhooks), shown only in this response: keep it to verify webhook-signature',
    example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw2R8gF0jPbYs=',
  })
  secret!: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    description: 'After a rotation: until then deliveries are signed with the old secret too',
    example: '2024-11-22T19:41:07.123Z',
  })
  previous_secret_expires_at?: string;
}
