import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import type { Request } from 'express';
import { Observable, tap } from 'rxjs';
import { routeTemplate } from '../common/route-template.js';
import { DomainError } from '../common/errors.js';
import { MetricsService } from './metrics.service.js';

/** Counts refusals for lack of stock wherever they come from (items, reservations, orders). */
@Injectable()
export class DomainErrorMetricsInterceptor implements NestInterceptor {
  constructor(private readonly metrics: MetricsService) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    return next.handle().pipe(
      tap({
        error: (err: unknown) => {
          if (err instanceof DomainError && err.code === 'insufficient_stock') {
            this.metrics.insufficientStockRejected(routeTemplate(context.switchToHttp().getRequest<Request>()));
          }
        },
      }),
    );
  }
}
