import cluster, { type Worker } from 'node:cluster';
import { AggregatorRegistry, type MetricObjectWithValues, type MetricValue, type Registry } from 'prom-client';

// With WORKERS > 1, Prometheus scrapes whichever worker the primary hands the
// connection to, and one worker's counters are a fraction of the instance's. So
// a worker's /metrics asks the primary, which collects the registries of every
// worker that is serving over IPC and answers their aggregate (prom-client's
// AggregatorRegistry.aggregate): sums, except where a metric says otherwise (the
// gauges read from the database are the same in every worker: `aggregator: 'max'`).
// Only serving workers are asked: one still starting has no registry to answer
// with, and waiting for it would fail every scrape while a replacement boots.

const SCRAPE = 'inventory:metrics-scrape'; // worker → primary: the instance's metrics, please
const SCRAPED = 'inventory:metrics-scraped'; // primary → worker: here they are (or why not)
const COLLECT = 'inventory:metrics-collect'; // primary → worker: your registries, please
const COLLECTED = 'inventory:metrics-collected'; // worker → primary: here they are
/** How long the primary waits for every worker's registries. */
const COLLECT_TIMEOUT_MS = 5_000;
/** The asking worker waits a little longer, for the primary's answer that it timed out. */
const SCRAPE_TIMEOUT_MS = 6_000;

type Metrics = MetricObjectWithValues<MetricValue<string>>[];
interface Message {
  type: typeof SCRAPE | typeof SCRAPED | typeof COLLECT | typeof COLLECTED;
  id: number;
  text?: string;
  metrics?: Metrics[];
  error?: string;
}
const is = (type: Message['type'], m: unknown): m is Message => (m as Message | null)?.type === type;
const messageOf = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** In the primary: answers the workers' scrapes with the aggregate of the `serving` workers' metrics. */
export function answerMetricsRequests(serving: () => Worker[]): void {
  let nextCollection = 0;
  const collections = new Map<number, { parts: Metrics[]; left: number; settle: (err?: Error) => void }>();

  const collect = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const id = nextCollection++;
      const workers = serving().filter((w) => w.isConnected());
      const parts: Metrics[] = [];
      const timer = setTimeout(
        () => settle(new Error(`not every worker answered within ${COLLECT_TIMEOUT_MS} ms`)),
        COLLECT_TIMEOUT_MS,
      );
      const settle = (err?: Error) => {
        clearTimeout(timer);
        collections.delete(id);
        if (err) reject(err);
        else AggregatorRegistry.aggregate(parts).metrics().then(resolve, reject);
      };
      if (workers.length === 0) return settle();
      collections.set(id, { parts, left: workers.length, settle });
      for (const w of workers) w.send({ type: COLLECT, id } satisfies Message);
    });

  cluster.on('message', (worker, message: unknown) => {
    if (is(COLLECTED, message)) {
      const collection = collections.get(message.id);
      if (!collection) return;
      if (message.error !== undefined) return collection.settle(new Error(message.error));
      collection.parts.push(...(message.metrics ?? []));
      if (--collection.left === 0) collection.settle();
    } else if (is(SCRAPE, message)) {
      const answer = (fields: Partial<Message>) => {
        if (worker.isConnected()) worker.send({ type: SCRAPED, id: message.id, ...fields } satisfies Message);
      };
      collect().then(
        (text) => answer({ text }),
        (err: unknown) => answer({ error: messageOf(err) }),
      );
    }
  });
}

const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
let nextScrape = 0;
let shared: Registry[] = [];

/** In a worker: lets the primary collect `registries`, and listens for the answers to clusterScrape(). */
export function shareMetricsWithPrimary(registries: Registry[]): void {
  const first = shared.length === 0;
  shared = registries;
  if (!first) return;
  process.on('message', (message: unknown) => {
    if (is(COLLECT, message)) {
      const reply = (fields: Partial<Message>) =>
        process.send?.({ type: COLLECTED, id: message.id, ...fields } satisfies Message);
      Promise.all(shared.map((r) => r.getMetricsAsJSON())).then(
        (metrics) => reply({ metrics }),
        (err: unknown) => reply({ error: messageOf(err) }),
      );
    } else if (is(SCRAPED, message)) {
      const pending = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.text !== undefined) pending?.resolve(message.text);
      else pending?.reject(new Error(`metrics of the workers not collected: ${message.error ?? 'no answer'}`));
    }
  });
}

/** In a worker: the metrics of every serving worker, aggregated by the primary. */
export function clusterScrape(): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = nextScrape++;
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error('metrics of the workers not collected: the primary did not answer'));
    }, SCRAPE_TIMEOUT_MS);
    const settle = () => (clearTimeout(timer), waiting.delete(id));
    waiting.set(id, {
      resolve: (text) => (settle(), resolve(text)),
      reject: (err) => (settle(), reject(err)),
    });
    process.send!({ type: SCRAPE, id } satisfies Message, undefined, undefined, (err: Error | null) => {
      if (err) waiting.get(id)?.reject(err);
    });
  });
}
