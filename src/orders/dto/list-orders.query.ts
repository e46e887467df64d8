import { IsIn, IsInt, IsISO8601, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';
import { Optional, Trim, QueryInt, QueryList, MaxChars } from '../../common/validation.js';
import { ORDER_STATUSES, type OrderStatus } from '../order-transitions.js';
import { MAX_AMOUNT } from './create-order.dto.js';

export const ORDER_SORTS = ['newest', 'oldest', 'highest_value', 'lowest_value'] as const;
export type OrderSort = (typeof ORDER_SORTS)[number];

export class ListOrdersQuery {
  /** Page size, 1..100 (default 20). */
  @Optional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** `page.next_cursor` of the previous page (valid for the same sort). */
  @Optional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;

  /** One or several statuses: `?status=pending&status=confirmed` or `?status=pending,confirmed`. */
  @Optional()
  @QueryList()
  @IsIn(ORDER_STATUSES, { each: true })
  status?: OrderStatus[];

  /** Inclusive lower bound on created_at (ISO-8601). */
  @Optional()
  @IsISO8601({ strict: true })
  created_from?: string;

  /** Exclusive upper bound on created_at (ISO-8601). */
  @Optional()
  @IsISO8601({ strict: true })
  created_to?: string;

  /** Inclusive bound on total_amount (minor units). */
  @Optional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  min_total?: number;

  /** Inclusive bound on total_amount (minor units). */
  @Optional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  max_total?: number;

  /** Exact customer reference. */
  @Optional()
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  customer_ref?: string;

  /** newest (default), oldest, highest_value, lowest_value. */
  @Optional()
  @IsIn(ORDER_SORTS)
  sort?: OrderSort;
}
