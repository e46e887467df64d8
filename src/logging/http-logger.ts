import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { routeTemplate } from '../common/route-template.js';

/** What a request line says: no headers, no body, no query string, so no secret can leak into it. */
function requestFields(req: Request, res: Response) {
  return {
    tenant_id: req.principal?.tenantId,
    method: req.method,
    route: routeTemplate(req),
    path: req.path,
    status: res.statusCode,
  };
}

/**
 * One JSON line per request when its response is finished (or aborted), written
 * directly (pino-http's per-request child logger cost a third of the throughput):
 * request_id (and trace_id when tracing is on), tenant_id, method, route
 * template, status and latency_ms. It also opens the logging context of the
 * request, so that whatever the code logs through Nest's Logger while serving
 * it carries the same request_id (and trace_id).
 *
 * Mounted right after the request id and before the body parser, so requests the
 * body parser refuses (invalid JSON, 413) are logged too; nestjs-pino's own
 * middleware would only run after it.
 */
export function httpLogger(root: Logger, context: PinoLogger): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      const status = res.statusCode;
      // 503 is the database being away or busy (logged where it happens), not a bug.
      const level =
        !res.writableEnded || (status >= 500 && status !== 503) ? 'error' : status === 503 ? 'warn' : 'info';
      if (!root.isLevelEnabled(level)) return;
      const latency_ms = Number(process.hrtime.bigint() - started) / 1e6;
      const message = res.writableEnded
        ? level === 'error'
          ? 'request failed'
          : 'request completed'
        : 'request aborted';
      root[level](
        {
          request_id: req.requestId,
          trace_id: req.traceId,
          ...requestFields(req, res),
          latency_ms: Math.round(latency_ms * 1000) / 1000,
        },
        message,
      );
    };
    res.once('finish', finish);
    res.once('close', finish);
    // Whatever the code logs through Nest's Logger while serving it carries the request_id (and trace_id).
    const bindings = req.traceId ? { request_id: req.requestId, trace_id: req.traceId } : { request_id: req.requestId };
    context.runInContext(next, { bindings });
  };
}
