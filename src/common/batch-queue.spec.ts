import { describe, expect, it } from '@jest/globals';
import { BatchQueue } from './batch-queue.js';

/** A run that records its batches and finishes when `release` is called. */
function recorder() {
  const batches: string[][] = [];
  let release: () => void = () => undefined;
  const run = async (key: string, batch: number[]) => {
    batches.push(batch.map((n) => `${key}${n}`));
    await new Promise<void>((resolve) => (release = resolve));
  };
  return { batches, run, release: () => release() };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('BatchQueue', () => {
  it('runs an idle key at once and batches what queues up meanwhile, in order, up to the batch size', async () => {
    const r = recorder();
    const q = new BatchQueue<number>(2, r.run, () => undefined);
    q.push('a', 1);
    q.push('a', 2);
    q.push('a', 3, 4);
    await tick();
    expect(r.batches).toEqual([['a1']]);
    r.release();
    await tick();
    expect(r.batches).toEqual([['a1'], ['a2', 'a3']]);
    r.release();
    await tick();
    expect(r.batches).toEqual([['a1'], ['a2', 'a3'], ['a4']]);
    expect(q.has('a')).toBe(true);
    r.release();
    await tick();
    expect(q.has('a')).toBe(false);
  });

  it('keys do not wait for each other', async () => {
    const r = recorder();
    const q = new BatchQueue<number>(10, r.run, () => undefined);
    q.push('a', 1);
    q.push('b', 1);
    await tick();
    expect(r.batches).toEqual([['a1'], ['b1']]);
  });

  it('pushFront puts items ahead of those waiting', async () => {
    const r = recorder();
    const q = new BatchQueue<number>(10, r.run, () => undefined);
    q.push('a', 1);
    q.push('a', 2);
    q.pushFront('a', 0);
    r.release();
    await tick();
    expect(r.batches[1]).toEqual(['a0', 'a2']);
  });

  it('a batch that throws goes to failed, and the key goes on', async () => {
    const failed: number[][] = [];
    const seen: number[][] = [];
    const q = new BatchQueue<number>(
      1,
      async (_key, batch) => {
        seen.push(batch);
        if (batch[0] === 1) throw new Error('bug');
      },
      (batch) => failed.push(batch),
    );
    q.push('a', 1, 2);
    await tick();
    await tick();
    expect(seen).toEqual([[1], [2]]);
    expect(failed).toEqual([[1]]);
    expect(q.has('a')).toBe(false);
  });
});

describe('BatchQueue with concurrency and conflicts', () => {
  /** Items are "name:what it names"; each batch is released on its own, by its first item. */
  function lanes() {
    const batches: string[][] = [];
    const releases = new Map<string, () => void>();
    const run = async (_key: string, batch: string[]) => {
      batches.push(batch);
      await new Promise<void>((resolve) => releases.set(batch[0]!, resolve));
    };
    const q = new BatchQueue<string>(10, run, () => undefined, {
      concurrency: 2,
      conflictsOf: (item) => item.split(':')[1]!.split(','),
    });
    return { q, batches, release: (first: string) => releases.get(first)!() };
  }

  it('runs batches that name different things at once, up to the limit', async () => {
    const { q, batches, release } = lanes();
    q.push('t', 'a:x');
    q.push('t', 'b:y');
    q.push('t', 'c:z');
    await tick();
    expect(batches).toEqual([['a:x'], ['b:y']]);
    release('b:y');
    await tick();
    expect(batches).toEqual([['a:x'], ['b:y'], ['c:z']]);
  });

  it('an item naming what a running batch names waits, and so does every later one sharing a name with it', async () => {
    const { q, batches, release } = lanes();
    q.push('t', 'a:x');
    q.push('t', 'b:x,y', 'c:y', 'd:w');
    await tick();
    // b waits for a (x); c shares y with b, so it may not overtake it; d conflicts with nothing.
    expect(batches).toEqual([['a:x'], ['d:w']]);
    release('a:x');
    await tick();
    expect(batches).toEqual([['a:x'], ['d:w'], ['b:x,y', 'c:y']]);
    release('d:w');
    release('b:x,y');
    await tick();
    expect(q.has('t')).toBe(false);
  });

  it('items that conflict among themselves go in one batch, in order', async () => {
    const { q, batches } = lanes();
    q.push('t', 'a:x');
    q.push('t', 'b:y', 'c:y');
    await tick();
    expect(batches).toEqual([['a:x'], ['b:y', 'c:y']]);
  });
});

describe('Slots', () => {
  it('lets `size` holders in and the next ones in arrival order as slots are released', async () => {
    const { Slots } = await import('./slots.js');
    const slots = new Slots(1);
    const order: number[] = [];
    await slots.acquire();
    const second = slots.acquire().then(() => order.push(2));
    const third = slots.acquire().then(() => order.push(3));
    await tick();
    expect(order).toEqual([]);
    slots.release();
    await second;
    slots.release();
    await third;
    expect(order).toEqual([2, 3]);
  });
});
