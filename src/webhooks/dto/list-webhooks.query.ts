import { IsIn } from 'class-validator';
import { Optional } from '../../common/validation.js';
import { PageQuery } from '../../common/page.query.js';

export class ListWebhooksQuery extends PageQuery {}

export const DELIVERY_STATUSES = ['pending', 'succeeded', 'failed'] as const;

export class ListDeliveriesQuery extends ListWebhooksQuery {
  /** Only deliveries in this status: `pending` (not yet sent, or waiting for a retry), `succeeded`, `failed` (given up). */
  @Optional()
  @IsIn(DELIVERY_STATUSES)
  status?: (typeof DELIVERY_STATUSES)[number];
}
