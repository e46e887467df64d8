import { IsIn, IsNotEmpty, IsString } from 'class-validator';
import { Optional, Trim, MaxChars } from '../../common/validation.js';
import { RESERVATION_STATUSES, type ReservationStatus } from '../reservation-status.js';
import { PageQuery } from '../../common/page.query.js';

export class ListReservationsQuery extends PageQuery {
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
