import { IsInt, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';
import { Optional, QueryInt, MaxChars } from '../../common/validation.js';

export class ListItemsQuery {
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

  /** Exact SKU. */
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxLength(64)
  sku?: string;

  /** Name prefix (case-sensitive). */
  @Optional()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  name?: string;
}
