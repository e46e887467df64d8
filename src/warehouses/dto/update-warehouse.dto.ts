import { IsBoolean, IsInt, IsNotEmpty, IsString, Max, Min } from 'class-validator';
import { MaxChars, Optional, Trim } from '../../common/validation.js';
import { MAX_PRIORITY, MIN_PRIORITY } from './create-warehouse.dto.js';

export const UPDATABLE_WAREHOUSE_FIELDS = ['name', 'priority', 'active'] as const;

/** Any of the fields, at least one; the code cannot change. */
export class UpdateWarehouseDto {
  /**
   * Display name, trimmed, 1..255 characters.
   * @example "Berlin Mitte"
   */
  @Optional()
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  name?: string;

  /**
   * Allocation order: reservations without a warehouse take stock from lower values first.
   * @example 2
   */
  @Optional()
  @IsInt()
  @Min(MIN_PRIORITY)
  @Max(MAX_PRIORITY)
  priority?: number;

  /**
   * false: allocation (lines that name no warehouse) stops using it, and a line naming it is refused with
   * `warehouse_inactive`; its stock stays visible, adjustable and countable. true: back in use.
   * @example false
   */
  @Optional()
  @IsBoolean()
  active?: boolean;
}
