import { IsInt, IsString, Max, Min } from 'class-validator';
import { IsId, Optional, MaxChars } from '../../common/validation.js';
import { MAX_DELTA } from '../quantities.js';

export class AdjustQtyDto {
  /**
   * Units to add (positive) or remove (negative); |delta| <= 1,000,000,000. Only available units can be removed.
   * @example -1
   */
  @IsInt()
  @Min(-MAX_DELTA)
  @Max(MAX_DELTA)
  delta!: number;

  /** Warehouse whose stock changes; the tenant's default warehouse when omitted. */
  @Optional()
  @IsId()
  warehouse_id?: string;

  /**
   * Why, for the audit log (e.g. `cycle count`, `damaged`).
   * @example "damaged"
   */
  @Optional()
  @IsString()
  @MaxChars(500)
  reason?: string;
}
