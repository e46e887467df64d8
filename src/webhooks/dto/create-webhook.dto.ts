import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  Max,
  MaxLength,
  Min,
} from 'class-validator';
import { MaxChars, Optional, Trim } from '../../common/validation.js';
import { EVENT_TYPES } from '../../events/event.js';
import { MAX_URL_LENGTH } from '../address-policy.js';

export const MAX_DESCRIPTION_CHARS = 500;
export const MAX_BATCH_SIZE = 100;

export class CreateWebhookDto {
  /**
   * Where deliveries are POSTed: an absolute https (or http) URL, at most 2048 characters, without credentials.
   * Hosts that resolve to loopback, private, link-local, CGNAT or metadata addresses are refused.
   * @example "https://shop.example.com/hooks/inventory"
   */
  @Trim()
  @IsString()
  @MaxLength(MAX_URL_LENGTH)
  url!: string;

  /**
   * The event types to deliver (distinct, from the list of event types); omitted: every type.
   * @example ["stock.changed", "order.status_changed"]
   */
  @Optional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(EVENT_TYPES.length)
  @ArrayUnique()
  @IsIn(EVENT_TYPES, { each: true })
  event_types?: string[];

  /**
   * Events per message, 1..100 (default 1). 1: each message is one event (`data` is the event). More: each
   * message is a batch of up to that many (`type` "batch", `data` an array of events, a stock row's in seq order),
   * one HTTP request for many events.
   * @example 1
   */
  @Optional()
  @IsInt()
  @Min(1)
  @Max(MAX_BATCH_SIZE)
  batch_size?: number;

  /**
   * What it is for, at most 500 characters.
   * @example "storefront availability"
   */
  @Optional()
  @Trim()
  @IsString()
  @MaxChars(MAX_DESCRIPTION_CHARS)
  description?: string;
}
