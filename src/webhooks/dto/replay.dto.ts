import { IsISO8601, IsString, MaxLength } from 'class-validator';
import { Optional } from '../../common/validation.js';

/** Exactly one of `after` and `from`. */
export class ReplayDto {
  /** A cursor of the event feed (`page.next_cursor` of GET /api/events): the events after it are sent again. */
  @Optional()
  @IsString()
  @MaxLength(1024)
  after?: string;

  /**
   * The events that happened at or after this time are sent again.
   * @example "2024-11-21T19:00:00Z"
   */
  @Optional()
  @IsISO8601({ strict: true })
  from?: string;
}
