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
import { IsId, Optional, Trim, MaxChars } from '../../common/validation.js';

export const MAX_LINES = 100;
export const MAX_LINE_QUANTITY = 1_000_000;
export const MAX_TTL_SECONDS = 86_400;

export class ReservationLineDto {
  /**
   * A live item of the tenant.
   * @example "5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11"
   */
  @IsId()
  item_id!: string;

  /**
   * Units to hold, 1..1,000,000.
   * @example 2
   */
  @IsInt()
  @Min(1)
  @Max(MAX_LINE_QUANTITY)
  quantity!: number;

  /** Take the units from this warehouse; when omitted they are allocated by warehouse priority. */
  @Optional()
  @IsId()
  warehouse_id?: string;
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
