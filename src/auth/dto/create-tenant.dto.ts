import { IsNotEmpty, IsString, MaxLength } from 'class-validator';
import { Trim } from '../../common/validation.js';

export class CreateTenantDto {
  /** Unique tenant name, trimmed, 1..255 characters. */
  @Trim() @IsString() @IsNotEmpty() @MaxLength(255)
  name!: string;
}
