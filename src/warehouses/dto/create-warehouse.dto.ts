import { IsInt, IsNotEmpty, IsString, Matches, Max, Min } from 'class-validator';
import { Optional, Trim, MaxChars } from '../../common/validation.js';

/** What a warehouse code looks like (warehouse_code_format in the schema). */
export const WAREHOUSE_CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const WAREHOUSE_CODE_MESSAGE = 'code must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
/** The same rule where a line names a warehouse by its code. */
export const WAREHOUSE_CODE_REF_MESSAGE = 'warehouse_code must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
export const MIN_PRIORITY = -1_000_000;
export const MAX_PRIORITY = 1_000_000;

export class CreateWarehouseDto {
  /**
   * Short code, unique per tenant: `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`.
   * @example "BER-1"
   */
  @IsString()
  @Matches(WAREHOUSE_CODE_PATTERN, { message: WAREHOUSE_CODE_MESSAGE })
  code!: string;

  /**
   * Display name, trimmed, 1..255 characters.
   * @example "Berlin"
   */
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  name!: string;

  /**
   * Allocation order: reservations without a warehouse take stock from lower values first (default 0).
   * @example 1
   */
  @Optional()
  @IsInt()
  @Min(MIN_PRIORITY)
  @Max(MAX_PRIORITY)
  priority?: number;
}
