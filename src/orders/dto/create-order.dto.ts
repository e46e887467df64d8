import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsInt,
  IsNotEmpty,
  IsObject,
  IsString,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { IsId, Optional, Trim, MaxChars } from '../../common/validation.js';
import { ItemRefDto } from '../../inventory/dto/line-ref.dto.js';
import { MAX_LINES, MAX_TTL_SECONDS, ReservationLineDto } from '../../reservations/dto/create-reservation.dto.js';

/** Amounts stay exact JSON integers: at most 2^53 - 1 minor units. */
export const MAX_AMOUNT = Number.MAX_SAFE_INTEGER;

export class OrderLineDto extends ReservationLineDto {
  /**
   * Price of one unit in minor units (cents), >= 0.
   * @example 1299
   */
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  unit_price!: number;
}

/** The price of an item of the reservation, named by `item_id` or `sku`. */
export class ItemPriceDto extends ItemRefDto {
  /**
   * Price of one unit in minor units (cents), >= 0.
   * @example 1299
   */
  @IsInt()
  @Min(0)
  @Max(MAX_AMOUNT)
  unit_price!: number;
}

/** Either `lines` (the order reserves them) or `reservation_id` with `prices` (the order takes the hold over). */
export class CreateOrderDto {
  /**
   * ISO-4217 code.
   * @example "EUR"
   */
  @IsString()
  @Matches(/^[A-Z]{3}$/, { message: 'currency must be a three-letter uppercase ISO-4217 code' })
  currency!: string;

  /**
   * The caller's reference of the customer; also the reference of the order's reservation.
   * @example "cust-42"
   */
  @Optional()
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  customer_ref?: string;

  /** 1..100 lines to reserve, each with its unit price (instead of reservation_id). */
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LINES)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => OrderLineDto)
  lines?: OrderLineDto[];

  /** Hold time of the order's own reservation (default 600 s). */
  @Optional()
  @IsInt()
  @Min(1)
  @Max(MAX_TTL_SECONDS)
  ttl_seconds?: number;

  /** An active reservation of this tenant that no order uses yet. */
  @Optional()
  @IsId()
  reservation_id?: string;

  /** One price for each item of the reservation. */
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_LINES)
  @IsObject({ each: true })
  @ValidateNested({ each: true })
  @Type(() => ItemPriceDto)
  prices?: ItemPriceDto[];
}
