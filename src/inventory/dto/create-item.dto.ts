import { IsInt, IsNotEmpty, IsString, Matches, Max, Min } from 'class-validator';
import { Optional, Trim, MaxChars } from '../../common/validation.js';
import { MAX_QUANTITY } from '../quantities.js';

/** What a SKU looks like (item_sku_format in the schema). */
export const SKU_PATTERN = /^[A-Z0-9][A-Z0-9._-]{0,63}$/;
export const SKU_MESSAGE = 'sku must match ^[A-Z0-9][A-Z0-9._-]{0,63}$';
export const MAX_REORDER_POINT = MAX_QUANTITY;

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
  @Matches(SKU_PATTERN, { message: SKU_MESSAGE })
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

  /**
   * Reorder point: item views show `low_stock: true` while available <= it. Integer >= 0; omitted: none.
   * @example 10
   */
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_REORDER_POINT)
  reorder_point?: number;
}
