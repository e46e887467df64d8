import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsString,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { Optional, Trim, MaxChars } from '../../common/validation.js';
import { StockLineRefDto } from '../../inventory/dto/line-ref.dto.js';

export const MAX_LINES = 100;
export const MAX_LINE_QUANTITY = 1_000_000;
export const MAX_TTL_SECONDS = 86_400;

/** A line names its item by `item_id` or `sku`, and its warehouse (optional) by `warehouse_id` or `warehouse_code`. */
export class ReservationLineDto extends StockLineRefDto {
  /**
   * Units to hold, 1..1,000,000.
   * @example 2
   */
  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;
}

export class CreateReservationDto {
  /** 1..100 lines; lines for the same item and warehouse are merged. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LINES)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => ReservationLineDto)
  lines!: ReservationLineDto[];

  /**
   * How long the hold lasts, 1..86400 seconds (default 600).
   * @example 300
   */
  @Optional()
  @IsInt()
  @Min(1)
  @Max(MAX_TTL_SECONDS)
  ttl_seconds?: number;

  /**
   * The caller's own reference, e.g. a cart id.
   * @example "cart-123"
   */
  @Optional()
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  reference?: string;
}
