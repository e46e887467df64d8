import { IsInt, IsString, Max, MaxLength, Min } from 'class-validator';
import { Optional, QueryInt } from './validation.js';

/** `?limit=&cursor=` of a list without filters. */
export class PageQuery {
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
