import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { MaxChars, Nullable, Optional, Trim } from '../../common/validation.js';
import { EVENT_TYPES } from '../../events/event.js';
import { MAX_URL_LENGTH } from '../address-policy.js';
import { MAX_BATCH_SIZE, MAX_DESCRIPTION_CHARS } from './create-webhook.dto.js';

export const UPDATABLE_WEBHOOK_FIELDS = ['url', 'event_types', 'description', 'batch_size', 'active'] as const;

/** Any of the fields, at least one. */
export class UpdateWebhookDto {
  /** @example "https://shop.example.com/hooks/v2" */
  @Optional()
  @Trim()
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url?: string;

  /**
   * The event types to deliver; null: every type.
   * @example ["stock.out_of_stock", "stock.back_in_stock"]
   */
  @Nullable()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true })
  event_types?: string[] | null;

  /**
   * Events per message, 1..100.
   * @example 100
   */
  @Optional()
  @IsInt()
  @Min(1)
  @Max(MAX_BATCH_SIZE)
  batch_size?: number;

  /** null clears it. */
  @Nullable()
  @Trim()
  @IsString()
  @MaxChars(MAX_DESCRIPTION_CHARS)
  description?: string | null;

  /**
   * false: nothing is delivered (events still get their deliveries, which wait). true: delivering again, failures
   * forgotten (also how an endpoint the relay disabled is turned back on).
   * @example true
   */
  @Optional()
  @IsBoolean()
  active?: boolean;
}
