import { IsNotEmpty, IsString } from 'class-validator';
import { MaxChars, Optional, Trim } from '../../common/validation.js';

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
