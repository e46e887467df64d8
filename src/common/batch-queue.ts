/**
 * Per-key queues drained in batches: items pushed for a key while a batch of that
 * key is running wait for the next batch, so a batch takes everything that
 * queued up meanwhile (group commit). An idle key's first item runs at once, in
 * a batch of its own.
 *
 * By default each key has at most one batch in flight. With `concurrency` > 1
 * and `conflictsOf`, a key runs up to that many batches at once, as long as
 * their items do not conflict: an item naming something (a stock item, say) that
 * a running batch names waits for the next batch, and so does every later item
 * that shares something with one left waiting, so that items that conflict are
 * run in the order they were pushed.
 *
 * `run` must settle every item of its batch; whatever it throws goes to `failed`
 * with the batch, so that a bug cannot stall a key's queue.
 */
export class BatchQueue<T> {
  private readonly lanes = new Map<string, Lane<T>>();

  constructor(
    private readonly maxBatch: number,
    private readonly run: (key: string, batch: T[]) => Promise<void>,
    private readonly failed: (batch: T[], error: unknown, key: string) => void,
    private readonly options: { concurrency?: number; conflictsOf?: (item: T) => readonly string[] } = {},
  ) {}

  /** Queues items behind those already waiting for `key`. */
  push(key: string, ...items: T[]): void {
    this.enqueue(key, items, 'back');
  }

  /** Queues items ahead of those waiting for `key` (they were there first). */
  pushFront(key: string, ...items: T[]): void {
    this.enqueue(key, items, 'front');
  }

  /** Items queued or running for `key`. */
  has(key: string): boolean {
    return this.lanes.has(key);
  }

  private enqueue(key: string, items: T[], end: 'front' | 'back'): void {
    if (items.length === 0) return;
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = { queue: [], running: 0, busy: new Map() };
      this.lanes.set(key, lane);
    }
    // What each item names is worked out once, when it is queued.
    const conflictsOf = this.options.conflictsOf;
    const queued = items.map((item) => ({ item, names: conflictsOf ? conflictsOf(item) : [] }));
    if (end === 'front') lane.queue.unshift(...queued);
    else lane.queue.push(...queued);
    this.pump(key, lane);
  }

  /** Starts as many batches as the lane may run (one by default) with what is queued. */
  private pump(key: string, lane: Lane<T>): void {
    const limit = this.options.conflictsOf ? (this.options.concurrency ?? 1) : 1;
    while (lane.running < limit && lane.queue.length > 0) {
      const batch = this.take(lane);
      if (batch.length === 0) break;
      void this.runBatch(key, lane, batch);
    }
    if (lane.running === 0 && lane.queue.length === 0) this.lanes.delete(key);
  }

  /** The next batch: the queued items, in order, that conflict with no running batch and no item left waiting. */
  private take(lane: Lane<T>): Queued<T>[] {
    if (!this.options.conflictsOf) return lane.queue.splice(0, this.maxBatch);
    const blocked = new Set(lane.busy.keys());
    const batch: Queued<T>[] = [];
    const left: Queued<T>[] = [];
    for (const queued of lane.queue) {
      if (batch.length >= this.maxBatch || queued.names.some((n) => blocked.has(n))) {
        left.push(queued);
        for (const n of queued.names) blocked.add(n);
      } else {
        batch.push(queued);
      }
    }
    lane.queue = left;
    return batch;
  }

  private async runBatch(key: string, lane: Lane<T>, taken: Queued<T>[]): Promise<void> {
    const names = [...new Set(taken.flatMap((q) => q.names))];
    const batch = taken.map((q) => q.item);
    lane.running++;
    for (const n of names) lane.busy.set(n, (lane.busy.get(n) ?? 0) + 1);
    try {
      await this.run(key, batch);
    } catch (error) {
      this.failed(batch, error, key);
    } finally {
      lane.running--;
      for (const n of names) {
        const count = lane.busy.get(n)! - 1;
        if (count === 0) lane.busy.delete(n);
        else lane.busy.set(n, count);
      }
      this.pump(key, lane);
    }
  }
}

interface Queued<T> {
  item: T;
  /** What it names (conflictsOf), or nothing. */
  names: readonly string[];
}

interface Lane<T> {
  queue: Queued<T>[];
  /** Batches in flight. */
  running: number;
  /** What the running batches name, with how many of them name it. */
  busy: Map<string, number>;
}
