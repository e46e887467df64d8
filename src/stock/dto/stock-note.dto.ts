import { IsNotEmpty, IsString } from 'class-validator';
import { IsId, MaxChars, Optional, Trim } from '../../common/validation.js';

/** What every stock operation may say besides its lines: recorded on each of its movements and audit rows. */
export class StockNoteDto {
  /**
   * The document the operation belongs to (`count:2026-12-01-A`, `po:4711`, `erp-sync:2026-12-01`), 1..255 characters.
   * @example "count:2026-12-01-A"
   */
  @Optional()
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  reference?: string;

  /**
   * Why (free text, up to 500 characters); a batch line's own `reason` takes precedence.
   * @example "cycle count"
   */
  @Optional()
  @IsString()
  @MaxChars(500)
  reason?: string;
}

/** The item and warehouse of a line: the ids, until lines may name them by SKU and warehouse code. */
export class StockLineRefDto {
  /**
   * A live item of the tenant.
   * @example "5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11"
   */
  @IsId()
  item_id!: string;

  /**
   * A warehouse of the tenant; the item's stock row there is created when missing.
   * @example "9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60"
   */
  @IsId()
  warehouse_id!: string;
}
