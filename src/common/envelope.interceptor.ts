import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { map, Observable } from 'rxjs';
import { Page } from './page.js';

/** Wraps every successful result as `{ request_id, data }` (plus `page` for lists). */
@Injectable()
export class EnvelopeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<Request>();
    return next.handle().pipe(
      map((result: unknown) => {
        if (result === undefined) return undefined;
        if (result instanceof Page) {
          return {
            request_id: req.requestId,
            data: result.items,
            page: { next_cursor: result.nextCursor, limit: result.limit },
          };
        }
        return envelope(req.requestId, result);
      }),
    );
  }
}

/** A result as clients receive it (also what an Idempotency-Key stores for it). */
export const envelope = (requestId: string, data: unknown) => ({ request_id: requestId, data });
