import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from '../../support/util.js';

// A local OTLP/HTTP receiver, what a collector is to the service: it accepts
// trace exports in OTLP's JSON encoding (the service sends that with
// OTEL_EXPORTER_OTLP_PROTOCOL=http/json) and keeps every span.

/** A span as exported, with its attributes as plain values. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** Absent for the root of a trace. */
  parentSpanId?: string;
  name: string;
  /** OTLP's SpanKind: 1 internal, 2 server, 3 client. */
  kind: number;
  scope: string;
  service: string;
  attributes: Record<string, unknown>;
}

export const SPAN_KIND = { internal: 1, server: 2, client: 3 } as const;

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
interface Attribute {
  key: string;
  value: AnyValue;
}
interface ExportRequest {
  resourceSpans?: {
    resource?: { attributes?: Attribute[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: (Omit<ReceivedSpan, 'attributes' | 'scope' | 'service'> & { attributes?: Attribute[] })[];
    }[];
  }[];
}

const valueOf = (v: AnyValue) =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
const attributesOf = (list: Attribute[] = []) => Object.fromEntries(list.map((a) => [a.key, valueOf(a.value)]));

export class OtlpReceiver {
  readonly spans: ReceivedSpan[] = [];
  /** Every request the receiver got, traces or not. */
  requests = 0;
  private server?: Server;

  static async start(): Promise<OtlpReceiver> {
    const receiver = new OtlpReceiver();
    receiver.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        receiver.requests++;
        if (req.method === 'POST' && req.url === '/v1/traces') {
          receiver.add(JSON.parse(Buffer.concat(chunks).toString('utf8')) as ExportRequest);
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((resolve) => receiver.server!.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  /** The base URL, as OTEL_EXPORTER_OTLP_ENDPOINT takes it (the exporter adds /v1/traces). */
  get url(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  trace(traceId: string): ReceivedSpan[] {
    return this.spans.filter((s) => s.traceId === traceId);
  }

  /** Waits until the spans of `traceId` satisfy `done`, and answers them. */
  async waitForTrace(traceId: string, done: (spans: ReceivedSpan[]) => boolean, timeoutMs = 15_000) {
    const deadline = Date.now() + timeoutMs;
    while (!done(this.trace(traceId))) {
      if (Date.now() > deadline) {
        const got = this.trace(traceId).map((s) => `${s.kind} ${s.name}`);
        throw new Error(`trace ${traceId}: not there after ${timeoutMs} ms; got ${JSON.stringify(got)}`);
      }
      await sleep(50);
    }
    return this.trace(traceId);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private add(body: ExportRequest): void {
    for (const rs of body.resourceSpans ?? []) {
      const service = String(attributesOf(rs.resource?.attributes)['service.name']);
      for (const ss of rs.scopeSpans ?? []) {
        for (const span of ss.spans ?? []) {
          this.spans.push({
            traceId: span.traceId,
            spanId: span.spanId,
            ...(span.parentSpanId ? { parentSpanId: span.parentSpanId } : {}),
            name: span.name,
            kind: span.kind,
            scope: ss.scope?.name ?? '',
            service,
            attributes: attributesOf(span.attributes),
          });
        }
      }
    }
  }
}
