import { IsISO8601 } from 'class-validator';
import { Optional } from '../../common/validation.js';
import { CreateApiKeyDto } from './create-api-key.dto.js';
import { IsFutureTimestamp } from './future-timestamp.js';

/** The new key: label and scopes of the old one unless given, no expiry unless given. */
export class RotateApiKeyDto extends CreateApiKeyDto {
  /**
   * When the old key stops working; omitted: it keeps working until it is revoked or its own expiry.
   * Never later than the old key's own expiry.
   * @example "2026-12-02T00:00:00Z"
   */
  @Optional()
  @IsISO8601({ strict: true })
  @IsFutureTimestamp()
  old_key_expires_at?: string;
}
