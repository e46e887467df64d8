import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { toErrorResponse } from './error-response.js';

function send(err: unknown, req: Request, res: Response): void {
  const { status, body } = toErrorResponse(err, req.requestId);
  // For whatever looks at the response once it is sent (the request metrics count refusals by code).
  res.locals.errorCode = body.error;
  if (res.headersSent) {
    res.end();
    return;
  }
  if (status === 429 && !res.getHeader('Retry-After')) res.setHeader('Retry-After', '1');
  res.status(status).json(body);
}

/** The one exception filter: every error of every route becomes the JSON error body. */
@Catch()
export class AllExceptionsFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    send(exception, http.getRequest<Request>(), http.getResponse<Response>());
  }
}

/** The same mapping for errors raised by Express middleware before Nest routing (body parsing). */
export function expressErrorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  send(err, req, res);
}
