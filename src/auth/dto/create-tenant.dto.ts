import { IsNotEmpty, IsString } from 'class-validator';
import { Trim, MaxChars } from '../../common/validation.js';

export class CreateTenantDto {
  /**
   * Unique tenant name, trimmed, 1..255 characters.
   * @example "acme"
   */
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  name!: string;
}
