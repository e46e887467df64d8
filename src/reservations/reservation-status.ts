export const RESERVATION_STATUSES = ['active', 'released', 'expired', 'committed'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/**
 * The status every read and transition sees: an active hold whose time has
 * passed is expired at once, whether or not the sweeper has run.
 */
export const EFFECTIVE_STATUS_SQL = (r: string) =>
  `CASE WHEN ${r}.status = 'active' AND ${r}.expires_at <= now() THEN 'expired' ELSE ${r}.status END`;

/** SQL condition matching an effective status. */
export function effectiveStatusFilter(r: string, status: ReservationStatus): string {
  switch (status) {
    case 'active':
      return `(${r}.status = 'active' AND ${r}.expires_at > now())`;
    case 'expired':
      return `(${r}.status = 'expired' OR (${r}.status = 'active' AND ${r}.expires_at <= now()))`;
    default:
      return `${r}.status = '${status}'`;
  }
}
