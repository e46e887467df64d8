import { IsIn } from 'class-validator';
import { ORDER_STATUSES, type OrderStatus } from '../order-transitions.js';

export class TransitionOrderDto {
  /**
   * The status to move to: confirmed, processing, shipped, delivered or cancelled.
   * @example "confirmed"
   */
  @IsIn(ORDER_STATUSES)
  to!: OrderStatus;
}
