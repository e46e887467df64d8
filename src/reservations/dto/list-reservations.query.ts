import { IsIn, IsInt, IsNotEmpty, IsString, Max, MaxLength, Min } from 'class-validator';
import { Optional, Trim, QueryInt, MaxChars } from '../../common/validation.js';
import { RESERVATION_STATUSES, type ReservationStatus } from '../reservation-status.js';

export class ListReservationsQuery {
  /** Page size, 1..100 (default 20). */
  @Optional()
  @QueryInt()
  @IsInt()
  @Min(1)
  @Max(100)
  limit?: number;

  /** `page.next_cursor` of the previous page. */
  @Optional()
  @IsString()
  @MaxLength(1024)
  cursor?: string;

  /** Effective status: a hold past its expiry counts as `expired` even before the sweeper ran. */
  @Optional()
  @IsIn(RESERVATION_STATUSES)
  status?: ReservationStatus;

  /** Exact reference. */
  @Optional()
  @Trim()
  @IsString()
  @IsNotEmpty()
  @MaxChars(255)
  reference?: string;
}
