import { IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { Optional, QueryInt } from '../../common/validation.js';

export class ListWebhooksQuery {
  /** Page size, 1..100 (default 20). */
  @Optional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** `page.next_cursor` of the previous page. */
  @Optional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;
}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

export class ListDeliveriesQuery extends ListWebhooksQuery {
  /** Only deliveries in this status: `pending` (not yet sent, or waiting for a retry), `succeeded`, `failed` (given up). */
  @Optional()
  @IsIn(DELIVERY_STATUSES)
  status?: (typeof DELIVERY_STATUSES)[number];
}
