import { IsInt, Max, Min } from 'class-validator';
import { MAX_TTL_SECONDS } from './create-reservation.dto.js';

export class ExtendReservationDto {
  /**
   * The hold then expires this many seconds from now (1..86400).
   * @example 600
   */
  @IsInt()
  @Min(1)
  @Max(MAX_TTL_SECONDS)
  ttl_seconds!: number;
}
