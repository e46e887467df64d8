import { IsNotEmpty, IsString } from 'class-validator';
import { Optional, Trim, MaxChars } from '../../common/validation.js';

export class CreateApiKeyDto {
  /**
   * A label to tell keys apart.
   * @example "checkout-service"
   */
  @Optional()
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(100)
  label?: string;
}
