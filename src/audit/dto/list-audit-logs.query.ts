import { IsIn, IsInt, IsISO8601, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { IsId, Optional, QueryInt } from '../../common/validation.js';

export class ListAuditLogsQuery {
  /** Page size, 1..100. */
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

  /** e.g. `item`, `tenant`, `api_key`. */
  @Optional()
  @IsIn(['tenant', 'api_key', 'warehouse', 'item', 'reservation', 'order'])
  object_type?: string;

  /** Rows about this object only. */
  @Optional()
  @IsId()
  object_id?: string;

  /** e.g. `stock.adjusted`. */
  @Optional()
  @IsString()
  @Matches(/^[a-z_]+\.[a-z_]+$/)
  action?: string;

  /** Inclusive lower bound on created_at (ISO-8601). */
  @Optional()
  @IsISO8601({ strict: true })
  from?: string;

  /** Exclusive upper bound on created_at (ISO-8601). */
  @Optional()
  @IsISO8601({ strict: true })
  to?: string;
}
