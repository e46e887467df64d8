import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { UnitOfWork } from '../database/unit-of-work.js';

/** What the owners of some reservations do when those expire, decided inside the expiring transaction. */
export interface OwnersExpiry {
  /** Reservations whose owner another transaction holds: leave them, that transaction will see to their expiry. */
  blocked: ReadonlySet<string>;
  /** Adds the owners' side of the expiry of `expired` to the unit of work (an order is cancelled with its hold). */
  expire(uow: UnitOfWork, expired: ReadonlySet<string>, requestId: string): void;
}

/** The part of another feature that owns reservations (orders own theirs). */
export interface HoldOwner {
  /** Locks, without waiting (the caller holds reservation locks), what it owns of these reservations. */
  lockForExpiry(tx: EntityManager, reservationIds: string[]): Promise<OwnersExpiry>;
  /** The id of what owns the reservation (an order), if anything does. */
  ownerOf(tx: EntityManager, reservationId: string): Promise<string | undefined>;
}

/**
 * Where features that own reservations make themselves known, so that the
 * reservations module never reads their tables, and does not depend on them
 * (orders depend on reservations, not the other way round). The orders module
 * registers itself at start-up.
 */
@Injectable()
export class HoldOwners implements HoldOwner {
  private readonly owners: HoldOwner[] = [];

  register(owner: HoldOwner): void {
    this.owners.push(owner);
  }

  async lockForExpiry(tx: EntityManager, reservationIds: string[]): Promise<OwnersExpiry> {
    const each: OwnersExpiry[] = [];
    if (reservationIds.length > 0)
      for (const owner of this.owners) each.push(await owner.lockForExpiry(tx, reservationIds));
    return {
      blocked: new Set(each.flatMap((e) => [...e.blocked])),
      expire: (uow, expired, requestId) => each.forEach((e) => e.expire(uow, expired, requestId)),
    };
  }

  async ownerOf(tx: EntityManager, reservationId: string): Promise<string | undefined> {
    for (const owner of this.owners) {
      const id = await owner.ownerOf(tx, reservationId);
      if (id) return id;
    }
    return undefined;
  }
}
