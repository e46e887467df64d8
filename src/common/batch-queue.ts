/**
 * Per-key queues drained in batches: items pushed for a key while a batch of that
 * key is running wait for the next batch, so each key has at most one batch in
 * flight and a batch takes everything that queued up meanwhile (group commit).
 * An idle key's first item runs at once, in a batch of its own.
 *
 * `run` must settle every item of its batch; whatever it throws goes to `failed`
 * with the batch, so that a bug cannot stall a key's queue.
 */
export class BatchQueue<T> {
  private readonly queues = new Map<string, T[]>();

  constructor(
    private readonly maxBatch: number,
    private readonly run: (key: string, batch: T[]) => Promise<void>,
    private readonly failed: (batch: T[], error: unknown, key: string) => void,
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
    return this.queues.has(key);
  }

  private enqueue(key: string, items: T[], end: 'front' | 'back'): void {
    if (items.length === 0) return;
    const queue = this.queues.get(key);
    if (queue) {
      if (end === 'front') queue.unshift(...items);
      else queue.push(...items);
      return;
    }
    this.queues.set(key, [...items]);
    void this.drain(key);
  }

  private async drain(key: string): Promise<void> {
    const queue = this.queues.get(key)!;
    while (queue.length > 0) {
      const batch = queue.splice(0, this.maxBatch);
      try {
        await this.run(key, batch);
      } catch (error) {
        this.failed(batch, error, key);
      }
    }
    this.queues.delete(key);
  }
}
