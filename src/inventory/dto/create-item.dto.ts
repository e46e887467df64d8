import { IsInt, IsNotEmpty, IsString, Matches, Max, Min } from 'class-validator';
import { Optional, Trim, MaxChars } from '../../common/validation.js';
import { MAX_QUANTITY } from '../quantities.js';

export class CreateItemDto {
  /**
   * Trimmed, 1..255 characters, unique among the tenant's live items.
   * @example "apple"
   */
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  name!: string;

  /**
   * Optional stock keeping unit, unique per tenant: `^[A-Z0-9][A-Z0-9._-]{0,63}$`.
   * @example "APPLE-1"
   */
  @Optional()
  @IsString()
  @Matches(/^[A-Z0-9][A-Z0-9._-]{0,63}$/, { message: 'sku must match ^[A-Z0-9][A-Z0-9._-]{0,63}$' })
  sku?: string;

  /**
   * Free text, at most 2000 characters.
   * @example "Braeburn, 1 kg bag"
   */
  @Optional()
  @IsString()
  @MaxChars(2000)
  description?: string;

  /**
   * Initial units on hand in the default warehouse (default 0).
   * @example 5
   */
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  qty?: number;
}
