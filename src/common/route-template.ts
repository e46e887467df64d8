import type { Request } from 'express';

/** Label of requests that matched no route (unknown paths, static Swagger UI files). */
export const UNMATCHED_ROUTE = '(unmatched)';

/**
 * The route a request matched, as its template (`/api/items/:id`), never the raw
 * URL: logs and metrics group by it, and ids in a label would make one time
 * series per resource.
 */
export function routeTemplate(req: Request): string {
  const path: unknown = (req.route as { path?: unknown } | undefined)?.path;
  return typeof path === 'string' ? `${req.baseUrl ?? ''}${path}` : UNMATCHED_ROUTE;
}
