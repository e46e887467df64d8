import { describe, expect, it } from '@jest/globals';
import { batchesOf, batchId } from './webhook-relay.js';

const lane = (sizes: number[]) => sizes.map((n, i) => ({ id: String(i), event: { p: 'x'.repeat(n) } }));
const ids = (batches: { id: string }[][]) => batches.map((b) => b.map((d) => d.id));

describe('batchesOf', () => {
  it('cuts a lane in order, at most `size` events per batch', () => {
    expect(ids(batchesOf(lane([1, 1, 1, 1, 1]), 2, 1_000))).toEqual([['0', '1'], ['2', '3'], ['4']]);
  });

  it('cuts before a batch would outgrow maxBytes; an event larger than that goes alone', () => {
    // each event is {"p":"x…"}: 8 bytes of JSON around its string
    expect(ids(batchesOf(lane([40, 40, 200, 10]), 10, 100))).toEqual([['0', '1'], ['2'], ['3']]);
  });

  it('an empty lane has no batches', () => {
    expect(batchesOf([], 10, 100)).toEqual([]);
  });
});

describe('batchId', () => {
  it('the same events give the same id; other events or another order, another', () => {
    expect(batchId(['1', '2'])).toBe(batchId(['1', '2']));
    expect(batchId(['1', '2'])).not.toBe(batchId(['2', '1']));
    expect(batchId(['1', '2'])).not.toBe(batchId(['1', '2', '3']));
    expect(batchId(['1'])).toMatch(/^batch_[A-Za-z0-9_-]{32}$/);
  });
});
