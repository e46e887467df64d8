import { IsInt, Max, Min } from 'class-validator';
import { IsId } from '../../common/validation.js';
import { MAX_QUANTITY } from '../../inventory/quantities.js';
import { StockNoteDto } from './stock-note.dto.js';

/** `reference` defaults to `transfer:<uuid>`, returned in the answer. */
export class TransferStockDto extends StockNoteDto {
  /**
   * A live item of the tenant.
   * @example "5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11"
   */
  @IsId()
  item_id!: string;

  /**
   * The warehouse the units leave: only its available units can move.
   * @example "9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60"
   */
  @IsId()
  from_warehouse_id!: string;

  /**
   * The warehouse the units arrive in (another one); its stock row is created when missing.
   * @example "1f4c2a9e-7b3d-4c8e-a2f1-6d5e4c3b2a10"
   */
  @IsId()
  to_warehouse_id!: string;

  /**
   * Units to move, 1..2,147,483,647.
   * @example 5
   */
  @IsInt()
  @Min(1)
  @Max(MAX_QUANTITY)
  quantity!: number;
}
