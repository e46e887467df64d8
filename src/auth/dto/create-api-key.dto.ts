import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsISO8601,
  IsNotEmpty,
  IsString,
} from 'class-validator';
import { Optional, Trim, MaxChars } from '../../common/validation.js';
import { SCOPES, type Scope } from '../scopes.js';
import { IsFutureTimestamp } from './future-timestamp.js';

export class CreateApiKeyDto {
  /**
   * A label to tell keys apart. Omitted: `api` (on a rotation, the old key's).
   * @example "checkout-service"
   */
  @Optional()
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(100)
  label?: string;

  /**
   * What the key may do, each scope once: `inventory:read`, `inventory:write` (includes `inventory:read`),
   * `reservations:write`, `orders:read`, `orders:write` (includes `orders:read`), `audit:read`,
   * `webhooks:manage`, or `*` for everything. Omitted: `["*"]` (on a rotation, the old key's).
   * @example ["inventory:read", "reservations:write"]
   */
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(SCOPES.length)
  @ArrayUnique()
  @IsIn(SCOPES, { each: true })
  scopes?: Scope[];

  /**
   * When the key stops working (401 from then on), a future ISO-8601 time with its offset. Omitted: never.
   * @example "2027-01-01T00:00:00Z"
   */
  @Optional()
  @IsISO8601({ strict: true })
  @IsFutureTimestamp()
  expires_at?: string;
}
