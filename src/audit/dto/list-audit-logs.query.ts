import { IsIn, IsISO8601, IsString, Matches } from 'class-validator';
import { IsId, Optional } from '../../common/validation.js';
import { PageQuery } from '../../common/page.query.js';

export class ListAuditLogsQuery extends PageQuery {
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
