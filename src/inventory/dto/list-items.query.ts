import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Optional, MaxChars } from '../../common/validation.js';
import { PageQuery } from '../../common/page.query.js';

export class ListItemsQuery extends PageQuery {
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
