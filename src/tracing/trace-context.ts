import { context, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';

declare module 'express-serve-static-core' {
  interface Request {
    /** The request's trace, when tracing is on: logged next to request_id. */
    traceId?: string;
  }
}

/**
 * The W3C traceparent of every request in flight, by request id. A change's
 * events are written by its statement, often far from the request (a
 * reservation batch writes the events of several requests at once), but each
 * carries its request id: the outbox row takes its request's traceparent from
 * here, and the relay sends its webhooks in that trace, as a child of the
 * request's span. Empty while tracing is off.
 *
 * Two requests in flight with the same (client-chosen) X-Request-Id share an
 * entry: the events of one may then name the other's trace. Only traces can
 * be wrong that way, never data.
 */
const inFlight = new Map<string, string>();

/**
 * Mounted after the request id (app.setup.ts) when tracing is on. The span
 * active here is the request's server span, made by the http instrumentation
 * from the incoming traceparent (its child) or starting a new trace.
 */
export function traceContextMiddleware(req: Request, res: Response, next: NextFunction): void {
  const span = trace.getActiveSpan();
  if (span) {
    const { traceId, spanId, traceFlags } = span.spanContext();
    const traceparent = `00-${traceId}-${spanId}-${traceFlags.toString(16).padStart(2, '0')}`;
    const requestId = req.requestId;
    req.traceId = traceId;
    inFlight.set(requestId, traceparent);
    res.once('close', () => {
      if (inFlight.get(requestId) === traceparent) inFlight.delete(requestId);
    });
  }
  next();
}

/**
 * `{"<request id>": "<traceparent>"}` of the traced requests among those of
 * `rows` (a change's events or movements), as a statement's jsonb parameter;
 * null when none is traced (always, with tracing off).
 */
export function traceparentsOf(rows: readonly { request_id: string }[]): string | null {
  if (inFlight.size === 0) return null;
  const found: Record<string, string> = {};
  let any = false;
  for (const { request_id } of rows) {
    const traceparent = inFlight.get(request_id);
    if (traceparent) {
      found[request_id] = traceparent;
      any = true;
    }
  }
  return any ? JSON.stringify(found) : null;
}

/** Runs `work` in the trace `traceparent` names (none: as it is), so that what it sends carries that trace on. */
export function inTrace<T>(traceparent: string | null | undefined, work: () => T): T {
  if (!traceparent) return work();
  return context.with(propagation.extract(ROOT_CONTEXT, { traceparent }), work);
}
