// The never-stale check shared by the e2e (in-process instances) and the faults
// suite (built servers): `write` on one instance, then `read` of the same item on
// the other right after the write's response, round after round over a few items
// (one lane each), while background readers on the reading instance keep filling
// the cache of the same items from snapshots that may predate a write. Writes flip
// the quantity between two values, so a stale read shows.

export interface LaneItem {
  id: string;
  sku: string | null;
}

/** How the reader asks, in turn: by id, by SKU, in a bulk availability call. */
export type ReadKind = 'id' | 'sku' | 'availability';
const KINDS: ReadKind[] = ['id', 'sku', 'availability'];

export interface StaleRounds {
  items: LaneItem[];
  rounds: number;
  backgroundReaders: number;
  /** The write's answer: the item's quantity after it. */
  write(item: LaneItem, delta: 1 | -1): Promise<number>;
  /** The quantity the reader answers (`other`: a second item for the bulk call). */
  read(kind: ReadKind, item: LaneItem, other: LaneItem): Promise<number | undefined>;
}

export async function staleRounds(run: StaleRounds): Promise<{ done: number; stale: string[]; ms: number }> {
  const { items } = run;
  const stale: string[] = [];
  let done = 0;
  let stop = false;
  const readOf = (n: number, item: LaneItem) => run.read(KINDS[n % 3]!, item, items[(n + 1) % items.length]!);
  const background = async (k: number) => {
    for (let n = k; !stop; n++) await readOf(n, items[n % items.length]!);
  };
  const lane = async (item: LaneItem) => {
    for (let round = 0; done < run.rounds; round++) {
      done++;
      const written = await run.write(item, round % 2 === 0 ? 1 : -1);
      const read = await readOf(round, item);
      if (read !== written) stale.push(`${KINDS[round % 3]} read of ${item.id}: wrote ${written}, read ${read}`);
    }
  };
  const started = Date.now();
  const readers = Array.from({ length: run.backgroundReaders }, (_, k) => background(k));
  await Promise.all(items.map(lane));
  stop = true;
  await Promise.all(readers);
  return { done, stale, ms: Date.now() - started };
}
