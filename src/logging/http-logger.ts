import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
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
 * One JSON line per request when its response is finished (or aborted):
 * request_id, tenant_id, method, route template, status and latency_ms. It also
 * opens the logging context of the request, so that whatever the code logs
 * through Nest's Logger while serving it carries the same request_id.
 *
 * Mounted right after the request id and before the body parser, so requests the
 * body parser refuses (invalid JSON, 413) are logged too; nestjs-pino's own
 * middleware would only run after it.
 */
export function httpLogger(root: Logger, context: PinoLogger): RequestHandler {
  const middleware = pinoHttp<Request, Response>({
    logger: root,
    genReqId: (req) => req.requestId,
    quietReqLogger: true,
    quietResLogger: true,
    customAttributeKeys: { reqId: 'request_id', responseTime: 'latency_ms' },
    // 503 is the database being away or busy (logged where it happens), not a bug.
    customLogLevel: (_req, res, err) => (err || (res.statusCode >= 500 && res.statusCode !== 503) ? 'error' : res.statusCode === 503 ? 'warn' : 'info'),
    customSuccessMessage: (_req, res) => (res.writableEnded ? 'request completed' : 'request aborted'),
    customSuccessObject: (req, res, value: { latency_ms: number }) => ({ ...requestFields(req, res), latency_ms: value.latency_ms }),
    // The stack of a 500 is logged once, by the exception filter, with the same request_id.
    customErrorMessage: () => 'request failed',
    customErrorObject: (req, res, _err, value: { latency_ms: number }) => ({ ...requestFields(req, res), latency_ms: value.latency_ms }),
  });
  return (req: Request, res: Response, next: NextFunction) =>
    middleware(req, res, () => context.runInContext(next, { bindings: { request_id: req.requestId } }));
}
