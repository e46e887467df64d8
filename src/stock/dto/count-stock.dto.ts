import { Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsObject, Max, Min, ValidateNested } from 'class-validator';
import { Optional } from '../../common/validation.js';
import { MAX_QUANTITY } from '../../inventory/quantities.js';
import { StockRowRefDto } from '../../inventory/dto/line-ref.dto.js';
import { StockNoteDto } from './stock-note.dto.js';

/** Lines of one count or batch request. */
export const MAX_STOCK_LINES = 1000;

export class CountLineDto extends StockRowRefDto {
  /**
   * The units counted, 0..2,147,483,647: on_hand becomes this value (never below the units reserved).
   * @example 47
   */
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  on_hand!: number;

  /**
   * Compare-and-set: on_hand as the counter last saw it (0 for a row that does not exist). When the row no longer
   * has it, nothing changes and the answer is 409 quantity_changed with the current value.
   * @example 48
   */
  @Optional()
  @IsInt()
  @Min(0)
  @Max(MAX_QUANTITY)
  expected_on_hand?: number;
}

export class CountStockDto extends StockNoteDto {
  /** 1..1,000 lines; several lines on one stock row are applied in order. All or nothing. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_STOCK_LINES)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => CountLineDto)
  lines!: CountLineDto[];
}
