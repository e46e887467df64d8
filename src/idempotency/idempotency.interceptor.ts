import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, Response } from 'express';
import { from, lastValueFrom, map, Observable } from 'rxjs';
import { ValidationFailedError } from '../common/errors.js';
import { findHostileContent } from '../common/validation.js';
import { GROUP_COMMITTED_KEYS } from './grouped-key.js';
import { IdempotencyService } from './idempotency.service.js';
import { requestFingerprint } from './request-fingerprint.js';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** The methods whose requests honour the header (also what the OpenAPI document says). */
export const MUTATING_METHODS: ReadonlySet<string> = new Set(['POST', 'PATCH', 'PUT', 'DELETE']);
export const VALID_IDEMPOTENCY_KEY = /^[\x20-\x7E]{1,255}$/;

/**
 * Honours `Idempotency-Key` on writes of tenant routes. Registered before the
 * envelope interceptor, so it stores and replays the exact body clients received.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    private readonly idempotency: IdempotencyService,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const key = req.get(IDEMPOTENCY_HEADER);
    if (key === undefined || !MUTATING_METHODS.has(req.method) || !req.principal) return next.handle();
    if (!VALID_IDEMPOTENCY_KEY.test(key)) {
      throw new ValidationFailedError([
        { field: IDEMPOTENCY_HEADER, message: 'must be 1 to 255 printable ASCII characters' },
      ]);
    }
    // The fingerprint walks the body: refuse hostile bodies first, as validation would.
    const hostile = findHostileContent(req.body);
    if (hostile) throw new ValidationFailedError([hostile]);
    const res = http.getResponse<Response>();
    const scope = {
      tenantId: req.principal.tenantId,
      key,
      fingerprint: requestFingerprint(req.method, req.originalUrl, req.body),
      requestId: req.requestId,
      status: res.statusCode,
    };
    const handle = () => lastValueFrom(next.handle(), { defaultValue: undefined });
    const grouped = this.reflector.get<boolean>(GROUP_COMMITTED_KEYS, context.getHandler());
    const outcome = grouped ? this.idempotency.executeGrouped(scope, handle) : this.idempotency.execute(scope, handle);
    return from(outcome).pipe(
      map((outcome) => {
        if (!('replay' in outcome)) return outcome.body;
        res.setHeader('Idempotent-Replayed', 'true');
        res.status(outcome.replay.status);
        return outcome.replay.body ?? undefined;
      }),
    );
  }
}
