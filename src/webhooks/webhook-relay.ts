import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Env } from '../config/env.js';
import { TransactionRunner } from '../database/transaction-runner.js';
import { toEventView } from '../events/events.service.js';
import { ShutdownState } from '../lifecycle/shutdown-state.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { inTrace } from '../tracing/trace-context.js';
import {
  type AttemptRecord,
  claimDue,
  claimEndpointsForFanOut,
  type ClaimedDelivery,
  type EndpointRound,
  fanOut,
  recordRound,
} from './delivery.repository.js';
import { retryDelayMs, shouldDisable } from './retry-policy.js';
import { SecretBox } from './secret-box.js';
import type { AttemptResult, WebhookSender } from './webhook-sender.js';
import { WebhooksService } from './webhooks.service.js';

const IDLE_MS = 100;
const FAN_OUT_ENDPOINTS = 50;
const FAN_OUT_EVENTS = 1000;
const CLAIM = 500;
const LANES = 32;
/** A batch's events add up to at most this many bytes (see batchesOf). */
const MAX_BATCH_BYTES = 64 * 1024;
/** How long a claim is a relay's: a crashed instance's claims come back after it. Rounds end in half of it. */
const LEASE_SECONDS = 30;

/** The sender the relay uses (a provider, so that tests can look at it). */
export abstract class WebhookTransport {
  abstract send(message: Parameters<WebhookSender['send']>[0]): Promise<AttemptResult>;
  abstract close(): void;
}

/**
 * The relay, in every instance (WEBHOOK_RELAY): two loops, each a service
 * method tests can call directly. Fan-out turns events into deliveries, one
 * per endpoint, by each endpoint's cursor; delivery claims due deliveries,
 * sends them (a stock row's deliveries to one endpoint one after another, in
 * seq order; everything else in parallel), records every attempt, pauses a
 * failing endpoint with exponential backoff (then probes it with one delivery
 * per round) and disables it when it keeps failing.
 */
@Injectable()
export class WebhookRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('WebhookRelay');
  private stopped = true;
  private loops: Promise<void>[] = [];
  private wakeDelivery?: () => void;
  /** Tests relay only their own tenants' endpoints (the database is shared); null: every tenant. */
  private tenantIds: ReadonlySet<string> | null = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly tx: TransactionRunner,
    private readonly env: Env,
    private readonly shutdown: ShutdownState,
    private readonly secrets: SecretBox,
    private readonly transport: WebhookTransport,
    private readonly webhooks: WebhooksService,
    private readonly metrics: MetricsService,
  ) {}

  onApplicationBootstrap(): void {
    if (this.env.WEBHOOK_RELAY) this.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stop();
  }

  /** Starts both loops; `scope.tenantIds` (read at every round) limits them to those tenants. */
  start(scope: { tenantIds?: ReadonlySet<string> } = {}): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tenantIds = scope.tenantIds ?? null;
    this.loops = [
      this.loop('fan-out', () => this.fanOutOnce()),
      this.loop(
        'delivery',
        () => this.deliverOnce(),
        (wake) => (this.wakeDelivery = wake),
      ),
    ];
  }

  /** Lets the rounds in progress finish (their sends are bounded by WEBHOOK_TIMEOUT_MS), then stops. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeDelivery?.();
    await Promise.all(this.loops);
    this.loops = [];
    this.transport.close();
  }

  /** One fan-out transaction over the endpoints with new events; answers how many deliveries it made. */
  async fanOutOnce(): Promise<number> {
    const made = await this.tx.runOwn(async (manager) => {
      let inserted = 0;
      for (const endpoint of await claimEndpointsForFanOut(manager, FAN_OUT_ENDPOINTS, this.scope())) {
        inserted += (await fanOut(manager, endpoint, FAN_OUT_EVENTS)).inserted;
      }
      return inserted;
    });
    if (made > 0) this.wakeDelivery?.();
    return made;
  }

  /** One delivery round: claim, send, record. Answers how many deliveries it attempted. */
  async deliverOnce(): Promise<number> {
    const claimed = await claimDue(this.dataSource.manager, CLAIM, this.leaseSeconds, this.scope());
    if (claimed.length === 0) return 0;
    const started = Date.now();
    const { lanes, released } = lanesOf(claimed);
    const attempts: AttemptRecord[] = [];
    const send = async (lane: ClaimedDelivery[]) => {
      const batch = lane[0]!.batch_size > 1;
      const messages = batch ? batchesOf(lane, lane[0]!.batch_size, MAX_BATCH_BYTES) : lane.map((d) => [d]);
      for (const [i, sent] of messages.entries()) {
        // A lane that fails stops (what follows in its stock row waits), and none outlives half its lease.
        if (this.stopped || Date.now() - started > (this.leaseSeconds * 1000) / 2) {
          released.push(...messages.slice(i).flatMap((m) => m.map((d) => d.id)));
          return;
        }
        // In the trace of the change the (first) event tells of: the POST carries it on to the consumer.
        const result = await inTrace(sent[0]!.traceparent, () => this.transport.send(this.messageOf(sent, batch)));
        attempts.push(...sent.map((d) => this.recordOf(d, result)));
        if (!result.succeeded) {
          released.push(...messages.slice(i + 1).flatMap((m) => m.map((d) => d.id)));
          return;
        }
      }
    };
    await runLanes(lanes, LANES, send);
    const failed = await recordRound(
      this.dataSource.manager,
      attempts,
      released,
      this.endpointRounds(claimed, attempts),
      this.env.WEBHOOK_DISABLE_AFTER_HOURS,
    );
    const succeeded = attempts.filter((a) => a.succeeded).length;
    this.metrics.webhookDeliveriesAttempted(succeeded, attempts.length - succeeded);
    for (const endpoint of failed) {
      const reason = shouldDisable(
        { consecutiveFailures: endpoint.consecutive_failures, failingSince: endpoint.failing_since },
        new Date(),
        { maxFailures: this.env.WEBHOOK_MAX_FAILURES, disableAfterHours: this.env.WEBHOOK_DISABLE_AFTER_HOURS },
      );
      if (reason) await this.webhooks.disable(endpoint.tenant_id, endpoint.id, reason);
    }
    return attempts.length;
  }

  /**
   * The message of deliveries to one endpoint: one event (`data` is the event,
   * webhook-id its id), or a batch (`type` "batch", `data` the events in claim
   * order, webhook-id derived from their ids: the same batch sent again has the
   * same id, but a retry can group events differently, so a consumer drops an
   * event it has seen by the event's own id).
   */
  private messageOf(sent: ClaimedDelivery[], batch: boolean) {
    const d = sent[0]!;
    const secrets = [this.secrets.open(d.secret, d.endpoint_id)];
    if (d.previous_secret && d.previous_secret_until && d.previous_secret_until > new Date()) {
      secrets.push(this.secrets.open(d.previous_secret, d.endpoint_id));
    }
    const events = sent.map((s) => toEventView({ ...s.event, occurred_at: new Date(s.event.occurred_at) }));
    if (!batch) {
      const body = JSON.stringify({ type: events[0]!.type, timestamp: events[0]!.occurred_at, data: events[0] });
      return { url: d.url, id: d.event_id, body, secrets };
    }
    const body = JSON.stringify({ type: 'batch', timestamp: events[0]!.occurred_at, data: events });
    return { url: d.url, id: batchId(sent.map((s) => s.event_id)), body, secrets };
  }

  private recordOf(d: ClaimedDelivery, r: AttemptResult): AttemptRecord {
    const retryAt = r.succeeded ? null : new Date(Date.now() + this.delay(d.attempts + 1)).toISOString();
    return {
      id: d.id,
      started_at: r.startedAt.toISOString(),
      duration_ms: r.durationMs,
      status_code: r.statusCode ?? null,
      error: r.error ?? null,
      succeeded: r.succeeded,
      retry_at: retryAt,
    };
  }

  /** Per endpoint sent to: a success clears its failures; only failures pause it (longer each round). */
  private endpointRounds(claimed: ClaimedDelivery[], attempts: AttemptRecord[]): EndpointRound[] {
    const byId = new Map(claimed.map((d) => [d.id, d]));
    const rounds = new Map<string, EndpointRound>();
    for (const a of attempts) {
      const d = byId.get(a.id)!;
      const round = rounds.get(d.endpoint_id) ?? { id: d.endpoint_id, ok: false, paused_until: null };
      round.ok ||= a.succeeded;
      rounds.set(d.endpoint_id, round);
    }
    const failures = new Map(claimed.map((d) => [d.endpoint_id, d.consecutive_failures]));
    for (const round of rounds.values()) {
      if (!round.ok) {
        const pause = this.delay((failures.get(round.id) ?? 0) + 1);
        round.paused_until = new Date(Date.now() + pause).toISOString();
      }
    }
    return [...rounds.values()];
  }

  private scope(): string[] | null {
    return this.tenantIds ? [...this.tenantIds] : null;
  }

  /** Long enough for a round: several sends of WEBHOOK_TIMEOUT_MS fit into half of it. */
  private get leaseSeconds(): number {
    return Math.max(LEASE_SECONDS, Math.ceil((this.env.WEBHOOK_TIMEOUT_MS * 6) / 1000));
  }

  private delay(failures: number): number {
    return retryDelayMs(failures, this.env.WEBHOOK_RETRY_BASE_MS);
  }

  /** Runs `round` until stopped: again at once while it finds work, else after IDLE_MS (or a wake-up). */
  private async loop(name: string, round: () => Promise<number>, onWake?: (wake: () => void) => void) {
    while (!this.stopped && !this.shutdown.shuttingDown) {
      let busy = false;
      try {
        busy = (await round()) > 0;
      } catch (err) {
        this.logger.error(`${name} round failed: ${err instanceof Error ? err.message : String(err)}`);
      }
      if (busy || this.stopped) continue;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, IDLE_MS);
        onWake?.(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}

/**
 * The claim in lanes: one per endpoint and stock row (sent in order, the claim
 * is sorted by seq), one per other delivery; an endpoint that takes batches
 * gets one lane, sent in batches in claim order (a row's events in seq order).
 * An endpoint that is failing gets one delivery per round, a probe; the rest of
 * its claim is given back.
 */
function lanesOf(claimed: ClaimedDelivery[]): { lanes: ClaimedDelivery[][]; released: string[] } {
  const lanes = new Map<string, ClaimedDelivery[]>();
  const probed = new Set<string>();
  const released: string[] = [];
  for (const d of claimed) {
    if (d.consecutive_failures > 0) {
      if (probed.has(d.endpoint_id)) {
        released.push(d.id);
        continue;
      }
      probed.add(d.endpoint_id);
    }
    const key = d.batch_size > 1 ? d.endpoint_id : d.item_id ? `${d.endpoint_id}/${d.item_id}/${d.warehouse_id}` : d.id;
    const lane = lanes.get(key);
    if (lane) lane.push(d);
    else lanes.set(key, [d]);
  }
  return { lanes: [...lanes.values()], released };
}

/**
 * A lane in batches of at most `size` events and `maxBytes` of events (one event
 * larger than that goes alone), in the lane's order: a consumer's body limit
 * (100 kB by default in Express) is not outgrown by a batch of large orders.
 */
export function batchesOf<D extends { event: unknown }>(lane: D[], size: number, maxBytes: number): D[][] {
  const batches: D[][] = [];
  let bytes = 0;
  for (const d of lane) {
    const b = Buffer.byteLength(JSON.stringify(d.event));
    const last = batches.at(-1);
    if (last && last.length < size && bytes + b <= maxBytes) {
      last.push(d);
      bytes += b;
    } else {
      batches.push([d]);
      bytes = b;
    }
  }
  return batches;
}

/** The webhook-id of a batch: the same events, the same id. */
export function batchId(eventIds: string[]): string {
  return `batch_${createHash('sha256').update(eventIds.join(',')).digest('base64url').slice(0, 32)}`;
}

/** Runs every lane, at most `width` at a time. */
async function runLanes<T>(lanes: T[], width: number, run: (lane: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < lanes.length) await run(lanes[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(width, lanes.length) }, worker));
}
