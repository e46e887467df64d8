import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Optional, Trim } from '../../common/validation.js';

export class CreateApiKeyDto {
  /** A label to tell keys apart, e.g. `checkout-service`. */
  @Optional() @Trim() @IsString() @IsNotEmpty() @MaxLength(100)
  label?: string;
}
