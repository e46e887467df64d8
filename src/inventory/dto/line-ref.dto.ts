import { IsString, Matches } from 'class-validator';
import { ExactlyOneOf, IsIdOrMissing } from '../../common/exactly-one.js';
import { Optional } from '../../common/validation.js';
import { WAREHOUSE_CODE_PATTERN, WAREHOUSE_CODE_REF_MESSAGE } from '../../warehouses/dto/create-warehouse.dto.js';
import { SKU_MESSAGE, SKU_PATTERN } from './create-item.dto.js';

// The pieces of a request line that name an item and a warehouse, either way:
// line DTOs extend them (reservations, orders, and whatever names stock rows next),
// and resolveLines (../line-refs.ts) turns SKUs and codes into ids before the write.
// A pair of other names (from_warehouse_id / from_warehouse_code, say) takes the
// same decorators: ExactlyOneOf + IsIdOrMissing on the id, an optional code.

/** Names an item by `item_id` or `sku`: exactly one. */
export class ItemRefDto {
  /**
   * A live item of the tenant, by id (or give `sku`).
   * @example "5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11"
   */
  @ExactlyOneOf('sku')
  @IsIdOrMissing()
  item_id?: string;

  /**
   * A live item of the tenant, by SKU (or give `item_id`); unknown SKUs are 404 `not_found`, each listed.
   * @example "APPLE-1"
   */
  @Optional()
  @IsString()
  @Matches(SKU_PATTERN, { message: SKU_MESSAGE })
  sku?: string;
}

/** Names a stock row: an item (exactly one of `item_id`, `sku`) and a warehouse (exactly one of `warehouse_id`, `warehouse_code`). */
export class StockRowRefDto extends ItemRefDto {
  /**
   * A warehouse of the tenant, by id (or give `warehouse_code`); the item's stock row there is created when missing.
   * @example "9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60"
   */
  @ExactlyOneOf('warehouse_code')
  @IsIdOrMissing()
  warehouse_id?: string;

  /**
   * The warehouse by its code (or give `warehouse_id`); unknown codes are 404 `not_found`, each listed.
   * @example "BER-1"
   */
  @Optional()
  @IsString()
  @Matches(WAREHOUSE_CODE_PATTERN, { message: WAREHOUSE_CODE_REF_MESSAGE })
  warehouse_code?: string;
}

/** Names an item (exactly one of `item_id`, `sku`) and optionally a warehouse (at most one of `warehouse_id`, `warehouse_code`). */
export class StockLineRefDto extends ItemRefDto {
  /** A warehouse of the tenant, by id (or give `warehouse_code`); with neither, reservations and orders allocate by warehouse priority. */
  @ExactlyOneOf('warehouse_code', { required: false })
  @IsIdOrMissing()
  warehouse_id?: string;

  /**
   * The warehouse by its code (or give `warehouse_id`); unknown codes are 404 `not_found`, each listed.
   * @example "BER-1"
   */
  @Optional()
  @IsString()
  @Matches(WAREHOUSE_CODE_PATTERN, { message: WAREHOUSE_CODE_REF_MESSAGE })
  warehouse_code?: string;
}
