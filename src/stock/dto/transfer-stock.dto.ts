import { IsInt, IsString, Matches, Max, Min } from 'class-validator';
import { ExactlyOneOf, IsIdOrMissing } from '../../common/exactly-one.js';
import { Optional } from '../../common/validation.js';
import { SKU_MESSAGE, SKU_PATTERN } from '../../inventory/dto/create-item.dto.js';
import {
  WAREHOUSE_CODE_PATTERN,
  WAREHOUSE_CODE_REF_MESSAGE as WAREHOUSE_CODE_MESSAGE,
} from '../../warehouses/dto/create-warehouse.dto.js';
import { MAX_QUANTITY } from '../../inventory/quantities.js';
import { StockNoteDto } from './stock-note.dto.js';

/** `reference` defaults to `transfer:<uuid>`, returned in the answer. */
export class TransferStockDto extends StockNoteDto {
  /**
   * A live item of the tenant, by id (or give `sku`).
   * @example "5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11"
   */
  @ExactlyOneOf('sku')
  @IsIdOrMissing()
  item_id?: string;

  /**
   * The item by its SKU (or give `item_id`).
   * @example "APPLE-1"
   */
  @Optional()
  @IsString()
  @Matches(SKU_PATTERN, { message: SKU_MESSAGE })
  sku?: string;

  /**
   * The warehouse the units leave (or give `from_warehouse_code`): only its available units can move.
   * @example "9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60"
   */
  @ExactlyOneOf('from_warehouse_code')
  @IsIdOrMissing()
  from_warehouse_id?: string;

  /**
   * The warehouse the units leave, by its code (or give `from_warehouse_id`).
   * @example "BER-1"
   */
  @Optional()
  @IsString()
  @Matches(WAREHOUSE_CODE_PATTERN, { message: WAREHOUSE_CODE_MESSAGE })
  from_warehouse_code?: string;

  /**
   * The warehouse the units arrive in, another one (or give `to_warehouse_code`); its stock row is created when missing.
   * @example "1f4c2a9e-7b3d-4c8e-a2f1-6d5e4c3b2a10"
   */
  @ExactlyOneOf('to_warehouse_code')
  @IsIdOrMissing()
  to_warehouse_id?: string;

  /**
   * The warehouse the units arrive in, by its code (or give `to_warehouse_id`).
   * @example "HAM-1"
   */
  @Optional()
  @IsString()
  @Matches(WAREHOUSE_CODE_PATTERN, { message: WAREHOUSE_CODE_MESSAGE })
  to_warehouse_code?: string;

  /**
   * Units to move, 1..2,147,483,647.
   * @example 5
   */
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity!: number;
}
