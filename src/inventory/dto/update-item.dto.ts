import { IsInt, IsNotEmpty, IsString, Matches, Max, Min } from 'class-validator';
import { MaxChars, Nullable, Optional, Trim } from '../../common/validation.js';
import { MAX_REORDER_POINT, SKU_MESSAGE, SKU_PATTERN } from './create-item.dto.js';

export const UPDATABLE_ITEM_FIELDS = ['name', 'sku', 'description', 'reorder_point'] as const;

/** Any of the fields, at least one; the same rules as on create. `sku`, `description` and `reorder_point` take null to clear them. */
export class UpdateItemDto {
  /**
   * Trimmed, 1..255 characters, unique among the tenant's live items (400 `duplicate_name`).
   * @example "green apple"
   */
  @Optional()
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  name?: string;

  /**
   * `^[A-Z0-9][A-Z0-9._-]{0,63}$`, unique among the tenant's live items (400 `duplicate_sku`); null removes it.
   * @example "APPLE-2"
   */
  @Nullable()
  @IsString()
  @Matches(SKU_PATTERN, { message: SKU_MESSAGE })
  sku?: string | null;

  /**
   * Free text, at most 2000 characters; null removes it.
   * @example "Granny Smith, 1 kg bag"
   */
  @Nullable()
  @IsString()
  @MaxChars(2000)
  description?: string | null;

  /**
   * Views show `low_stock: true` while available <= it; integer >= 0, null: no reorder point.
   * @example 10
   */
  @Nullable()
  @IsInt()
  @Min(0)
  @Max(MAX_REORDER_POINT)
  reorder_point?: number | null;
}
