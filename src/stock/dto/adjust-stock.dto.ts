import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsObject,
  IsString,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { MaxChars, Optional } from '../../common/validation.js';
import { MAX_DELTA, MAX_QUANTITY, MIN_DELTA } from '../../inventory/quantities.js';
import { ADJUSTMENT_TYPES, type AdjustmentType } from '../../ledger/movement.js';
import { MAX_STOCK_LINES } from './count-stock.dto.js';
import { StockRowRefDto } from '../../inventory/dto/line-ref.dto.js';
import { StockNoteDto } from './stock-note.dto.js';

export const BATCH_MODES = ['all_or_nothing', 'per_line'] as const;
export type BatchMode = (typeof BATCH_MODES)[number];

/** A delta (`delta`, optionally `type`) or a count (`on_hand`, optionally `expected_on_hand`): exactly one of the two. */
export class AdjustmentLineDto extends StockRowRefDto {
  /**
   * A delta line: units to add (positive) or remove (negative), |delta| <= 1,000,000,000; only available units can
   * be removed.
   * @example 12
   */
  @Optional()
  @IsInt()
  @Min(MIN_DELTA)
  @Max(MAX_DELTA)
  delta?: number;

  /**
   * Of a delta line: `received` (delta > 0), `damaged` (a write-off, delta < 0) or `adjusted` (default).
   * @example "received"
   */
  @Optional()
  @IsIn(ADJUSTMENT_TYPES)
  type?: AdjustmentType;

  /**
   * A count line: on_hand becomes this value, 0..2,147,483,647 (never below the units reserved).
   * @example 47
   */
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  on_hand?: number;

  /**
   * Of a count line, compare-and-set: the line fails with quantity_changed when on_hand is no longer this.
   * @example 48
   */
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  expected_on_hand?: number;

  /**
   * Why, recorded on the line's movement and audit row.
   * @example "delivery 4711"
   */
  @Optional()
  @IsString()
  @MaxChars(500)
  reason?: string;
}

export class AdjustStockDto extends StockNoteDto {
  /** 1..1,000 lines; several lines on one stock row are applied in order. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_STOCK_LINES)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => AdjustmentLineDto)
  lines!: AdjustmentLineDto[];

  /**
   * `all_or_nothing` (default): any failing line and nothing changes. `per_line`: the lines that can be applied are,
   * and the answer (200) gives each line's outcome.
   * @example "all_or_nothing"
   */
  @Optional()
  @IsIn(BATCH_MODES)
  mode?: BatchMode;
}
