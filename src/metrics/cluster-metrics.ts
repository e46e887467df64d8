import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

// With WORKERS > 1, Prometheus scrapes whichever worker the primary hands the
// connection to, and one worker's counters are a fraction of the service's. So
// a worker's /metrics asks the primary, which collects every worker's registries
// over IPC (prom-client's AggregatorRegistry) and answers their aggregate: sums,
// except where a metric says otherwise (the gauges read from the database are
// the same in every worker: `aggregator: 'max'`).

const REQUEST = 'inventory:metrics-request';
const ANSWER = 'inventory:metrics-answer';
/** prom-client gives up on a silent worker after 5 s; the asking worker waits a little longer for that answer. */
const ANSWER_TIMEOUT_MS = 6_000;

interface Request {
  type: typeof REQUEST;
  id: number;
}
interface Answer {
  type: typeof ANSWER;
  id: number;
  text?: string;
  error?: string;
}

const isRequest = (m: unknown): m is Request => (m as Request | null)?.type === REQUEST;
const isAnswer = (m: unknown): m is Answer => (m as Answer | null)?.type === ANSWER;

/** In the primary: answers the workers' requests with the aggregate of every worker's metrics. */
export function answerMetricsRequests(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    if (!isRequest(message)) return;
    const answer = (fields: Partial<Answer>) => {
      if (worker.isConnected()) worker.send({ type: ANSWER, id: message.id, ...fields });
    };
    aggregator.clusterMetrics().then(
      (text) => answer({ text }),
      (err: unknown) => answer({ error: err instanceof Error ? err.message : String(err) }),
    );
  });
}

const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
let nextId = 0;
let listening = false;

/**
 * In a worker: lets the primary collect `registries` (prom-client answers its
 * requests), and listens for the answers to clusterScrape().
 */
export function shareMetricsWithPrimary(registries: Registry[]): void {
  AggregatorRegistry.setRegistries(registries);
  // The constructor installs (once per process) prom-client's listener that answers the primary.
  new AggregatorRegistry();
  if (!listening) {
    listening = true;
    process.on('message', (message: unknown) => {
      if (!isAnswer(message)) return;
      const pending = waiting.get(message.id);
      waiting.delete(message.id);
      if (message.text !== undefined) pending?.resolve(message.text);
      else pending?.reject(new Error(`metrics of the workers not collected: ${message.error ?? 'no answer'}`));
    });
  }
}

/** In a worker: the metrics of every worker, aggregated by the primary. */
export function clusterScrape(): Promise<string> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error('metrics of the workers not collected: the primary did not answer'));
    }, ANSWER_TIMEOUT_MS);
    waiting.set(id, {
      resolve: (text) => (clearTimeout(timer), resolve(text)),
      reject: (err) => (clearTimeout(timer), reject(err)),
    });
    process.send!({ type: REQUEST, id } satisfies Request, undefined, undefined, (err: Error | null) => {
      if (!err) return;
      waiting.get(id)?.reject(err);
      waiting.delete(id);
    });
  });
}
