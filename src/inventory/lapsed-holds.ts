import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../common/request-context.js';
import { inSavepoint } from '../database/savepoint.js';
import type { LockedStock } from './stock.repository.js';
import type { ReservationExpiryService } from '../reservations/reservation-expiry.service.js';
import type { HeldLine } from '../reservations/reservation.repository.js';

/**
 * Lapsed holds never block an adjustment or a delete: when one is refused, this
 * frees the lapsed holds on the stock rows the caller has locked and runs `retry`
 * (which answers undefined when it is still refused; it is handed the lines freed,
 * on `locked` and on other rows, to take off counts it holds). Freeing takes reservation
 * locks while stock locks are held, against the lock order, so it skips what is
 * locked and never waits (expireLapsedOn). In a savepoint, as reservations
 * do it: when the retry is still refused, the freeing is undone too, so that a
 * refused request changes nothing; the sweeper will free those holds anyway.
 */
export async function retryAfterFreeingLapsedHolds<T>(
  manager: EntityManager,
  ctx: RequestContext,
  expiry: ReservationExpiryService,
  locked: LockedStock[],
  retry: (freed: HeldLine[]) => Promise<T | undefined>,
): Promise<T | undefined> {
  if (locked.length === 0) return undefined;
  return inSavepoint(manager, async () => {
    const freed = await expiry.expireLapsedOn(manager, ctx, locked);
    const result = freed.length > 0 ? await retry(freed) : undefined;
    return { keep: result !== undefined, result };
  });
}
