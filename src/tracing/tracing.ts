import { context, trace } from '@opentelemetry/api';
import type { IncomingMessage } from 'node:http';
import type { Env } from '../config/env.js';

/** The running SDK, for the shutdown: flushes the spans not exported yet. */
export interface Tracing {
  shutdown(): Promise<void>;
}

/** Longest wait for the last spans at shutdown: a collector that is away must not hold the exit up. */
const FLUSH_TIMEOUT_MS = 2000;

/** Probes and scrapes, every few seconds from every load balancer and Prometheus: no trace of their own. */
const UNTRACED_PATHS = /^\/(health\/(live|ready)|metrics)(\?|$)/;

/** Tracing is on when an OTLP endpoint is configured, unless OTEL_SDK_DISABLED says otherwise. */
export function tracingEnabled(env: Pick<Env, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SDK_DISABLED'>): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT) && !env.OTEL_SDK_DISABLED;
}

/**
 * Starts OpenTelemetry (spans of every request and of every database query,
 * exported over OTLP) when tracing is on; off, it loads nothing and answers
 * undefined, so that tracing costs nothing unless it is configured.
 *
 * It must run before the modules it instruments are imported: main.ts calls it
 * first and imports the application afterwards. The application is ESM, and an
 * ESM `import express from 'express'` (Nest's platform-express does that) does
 * not go through `require`, which is all the instrumentations hook by
 * themselves: the import-in-the-middle loader hook, registered here, gives them
 * the ESM imports too, and only of the modules they ask for (the message
 * channel tells the loader which). `pg` is `require`d by TypeORM.
 *
 * The exporter is configured by the SDK from the OTEL_* variables: protocol
 * (OTEL_EXPORTER_OTLP_PROTOCOL, http/protobuf by default, or http/json),
 * headers, sampler (parent-based, always on by default). Metrics and logs are
 * not exported: Prometheus and the JSON log lines already carry them.
 */
export async function startTracing(env: Env): Promise<Tracing | undefined> {
  if (!tracingEnabled(env)) return undefined;
  const { register } = await import('node:module');
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  register('import-in-the-middle/hook.mjs', import.meta.url, registerOptions);

  const [{ NodeSDK }, { HttpInstrumentation }, { ExpressInstrumentation, ExpressLayerType }, { PgInstrumentation }] =
    await Promise.all([
      import('@opentelemetry/sdk-node'),
      import('@opentelemetry/instrumentation-http'),
      import('@opentelemetry/instrumentation-express'),
      import('@opentelemetry/instrumentation-pg'),
    ]);
  const sdk = new NodeSDK({
    serviceName: process.env.OTEL_SERVICE_NAME || 'inventory-service',
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req: IncomingMessage) => UNTRACED_PATHS.test(req.url ?? ''),
        // Outgoing requests are webhooks: traced (a client span, child of the request's span) when their
        // event came from a traced request (the relay sends it in that trace, see trace-context.ts).
        ignoreOutgoingRequestHook: () => trace.getSpan(context.active()) === undefined,
      }),
      // The route and its handler; a span for each of the dozen middlewares would mostly say "took 0 ms".
      new ExpressInstrumentation({ ignoreLayersType: [ExpressLayerType.MIDDLEWARE] }),
      // Queries of requests only: the relay and the sweeper poll several times a second, each a trace of its own.
      new PgInstrumentation({ requireParentSpan: true }),
    ],
    metricReaders: [],
    logRecordProcessors: [],
  });
  sdk.start();
  // The loader runs on a thread of its own: it must know which modules to hook before any is imported.
  await waitForAllMessagesAcknowledged();
  return {
    shutdown: () =>
      Promise.race([sdk.shutdown(), new Promise<void>((resolve) => setTimeout(resolve, FLUSH_TIMEOUT_MS).unref())]),
  };
}
