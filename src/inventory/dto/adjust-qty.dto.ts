import { IsIn, IsInt, IsNotEmpty, IsString, Max, Min } from 'class-validator';
import { IsId, Optional, MaxChars, Trim } from '../../common/validation.js';
import { ADJUSTMENT_TYPES, type AdjustmentType } from '../../ledger/movement.js';
import { MAX_DELTA, MIN_DELTA } from '../quantities.js';

export class AdjustQtyDto {
  /**
   * Units to add (positive) or remove (negative); |delta| <= 1,000,000,000. Only available units can be removed.
   * @example -1
   */
  @IsInt()
  @Min(MIN_DELTA)
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

  /**
   * The kind of movement the ledger records: `received` (delta > 0), `damaged` (delta < 0), or `adjusted` (default).
   * @example "damaged"
   */
  @Optional()
  @IsIn(ADJUSTMENT_TYPES)
  type?: AdjustmentType;

  /**
   * A document the change belongs to, recorded on its movement (e.g. `po:4711`), 1..255 characters.
   * @example "po:4711"
   */
  @Optional()
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  reference?: string;
}
