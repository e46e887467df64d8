import { ArrayMaxSize, ArrayMinSize, IsIn, IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { Optional, QueryInt, QueryList } from '../../common/validation.js';
import { EVENT_TYPES } from '../event.js';

export const MAX_WAIT_SECONDS = 30;

export class ListEventsQuery {
  /** `page.next_cursor` of the previous call; omitted: from the oldest event kept. */
  @Optional()
  @IsString()
  @MaxLength(1024)
  after?: string;

  /**
   * Only these event types (comma-separated, or the parameter repeated).
   * @example ["stock.changed", "order.status_changed"]
   */
  @Optional()
  @QueryList()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @IsIn(EVENT_TYPES, { each: true })
  types?: string[];

  /** Page size, 1..100 (default 20). */
  @Optional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** Hold the request open up to this many seconds (0..30) until an event arrives (long polling). */
  @Optional()
  @QueryInt()
  @IsInt()
  @Min(0)
  @Max(MAX_WAIT_SECONDS)
  wait?: number;
}
