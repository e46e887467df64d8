import { IsInt, IsNotEmpty, IsString, Matches, Max, Min } from 'class-validator';
import { Optional, Trim, MaxChars } from '../../common/validation.js';

export class CreateWarehouseDto {
  /**
   * Short code, unique per tenant: `^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`.
   * @example "BER-1"
   */
  @IsString()
  @Matches(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { message: 'code must match ^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' })
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
  @Min(-1_000_000)
  @Max(1_000_000)
  priority?: number;
}
