import { SetMetadata } from '@nestjs/common';
import { AsyncLocalStorage } from 'node:async_hooks';
import type { KeyScope, StoredResponse } from './idempotency-keys.js';

export const GROUP_COMMITTED_KEYS = 'idempotency:groupCommitted';

/**
 * On a route whose service group-commits its writes (reservations): an
 * Idempotency-Key request of it does not get a transaction of its own. The
 * service hands the key to the batch instead, whose transaction claims it,
 * performs the request and stores the response, together (`GroupedKey`).
 */
export const GroupCommittedKeys = () => SetMetadata(GROUP_COMMITTED_KEYS, true);

/**
 * The Idempotency-Key of the request being handled on such a route. The service
 * must `take` it (then it owns the key's guarantee) and say whether the answer
 * it returns is a replay (`replayed`).
 */
export class GroupedKey {
  private static readonly current = new AsyncLocalStorage<GroupedKey>();
  taken = false;
  replay?: StoredResponse;

  private constructor(readonly scope: KeyScope) {}

  /** Runs the handler with `scope` as its grouped key; fails loudly if the handler ignored the key. */
  static async handle<T>(scope: KeyScope, handler: () => Promise<T>): Promise<{ key: GroupedKey; result: T }> {
    const key = new GroupedKey(scope);
    const result = await GroupedKey.current.run(key, handler);
    if (!key.taken) throw new Error('a group-committed route answered without taking its Idempotency-Key');
    return { key, result };
  }

  /** The request's key, if it has one, now owned by the caller. */
  static take(): GroupedKey | undefined {
    const key = GroupedKey.current.getStore();
    if (key) key.taken = true;
    return key;
  }

  /** The answer is the stored one of an earlier request with this key. */
  replayed(response: StoredResponse): unknown {
    this.replay = response;
    return response.body;
  }
}
