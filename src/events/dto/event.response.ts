import { ApiProperty } from '@nestjs/swagger';
import { EVENT_TYPES } from '../event.js';

/** One event of the feed. */
export class EventResponse {
  @ApiProperty({
    description:
      'Unique and stable (a decimal number, as a string): a consumer that sees it twice (a webhook retried) drops the second',
    example: '1042',
  })
  id!: string;

  @ApiProperty({ enum: EVENT_TYPES, example: 'stock.changed' })
  type!: string;

  @ApiProperty({ format: 'uuid', example: '70e7e234-1436-48b5-93ec-019375941344' })
  tenant_id!: string;

  @ApiProperty({
    description: 'The kind of object it is about: `stock`, `reservation`, `order`, `item`, `warehouse`, `webhook`',
    example: 'stock',
  })
  object_type!: string;

  @ApiProperty({
    format: 'uuid',
    description: "The object's id (the item's for stock events)",
    example: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11',
  })
  object_id!: string;

  @ApiProperty({
    type: 'integer',
    nullable: true,
    description: "Stock events: the stock row's movement number, in which order to apply them (newer ones win)",
    example: 3,
  })
  seq!: number | null;

  @ApiProperty({
    description: "The request of the change (the same as its audit rows'; sweeps and auto-cancels have their own)",
    example: '3f2b8c1e-5d4a-4e7b-9c61-2a8f0d9e7b15',
  })
  request_id!: string;

  @ApiProperty({
    format: 'date-time',
    description: "When the change happened: its transaction's timestamp (ISO-8601 UTC)",
    example: '2026-12-01T10:15:00.000Z',
  })
  occurred_at!: string;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      "What a consumer needs without a second call: the object's state, and for stock the movement and before/after",
    example: {
      item_id: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11',
      warehouse_id: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60',
      sku: 'APPLE-1',
      seq: 3,
      before: { on_hand: 5, reserved: 0, available: 5 },
      after: { on_hand: 4, reserved: 0, available: 4 },
      movement: { id: '17', type: 'damaged', on_hand_delta: -1, reserved_delta: 0, reason: 'damaged', reference: null },
    },
  })
  payload!: Record<string, unknown>;
}
