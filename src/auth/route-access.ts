import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';
import { ApiErrors } from '../openapi/api-responses.js';
import { IS_ADMIN, IS_PUBLIC } from './public.decorator.js';
import type { RouteScope } from './scopes.js';

const REQUIRED_SCOPE = 'auth:scope';
const ANY_API_KEY = 'auth:any-key';
/** The OpenAPI extension naming the scope of an operation (also written into its description). */
export const SCOPE_EXTENSION = 'x-required-scope';

/**
 * The scope a tenant route needs: a key without it is refused with 403
 * insufficient_scope before anything runs. On the route itself, never on the
 * controller, so that each route shows its scope where it is declared.
 */
export const RequireScope = (scope: RouteScope) =>
  applyDecorators(
    SetMetadata(REQUIRED_SCOPE, scope),
    ApiExtension(SCOPE_EXTENSION, scope),
    ApiErrors({ 403: ['insufficient_scope', 'tenant_disabled'] }),
  );

/** Any valid API key, whatever its scopes (GET /api/me: a key may always ask what it is). */
export const AnyApiKey = () => SetMetadata(ANY_API_KEY, true);

export type RouteAccess =
  { kind: 'public' } | { kind: 'admin' } | { kind: 'any_key' } | { kind: 'scope'; scope: RouteScope };

/**
 * What a route declares about who may call it. `undefined`: nothing, which is a
 * bug the guard refuses to serve (and a test finds first). Public and admin may
 * be declared on the controller; a scope only on the route.
 */
export function routeAccess(handler: object, controller: object): RouteAccess | undefined {
  const on = (key: string) => Reflect.getMetadata(key, handler) as unknown;
  const onEither = (key: string) => on(key) ?? (Reflect.getMetadata(key, controller) as unknown);
  if (onEither(IS_PUBLIC)) return { kind: 'public' };
  if (onEither(IS_ADMIN)) return { kind: 'admin' };
  if (on(ANY_API_KEY)) return { kind: 'any_key' };
  const scope = on(REQUIRED_SCOPE) as RouteScope | undefined;
  return scope ? { kind: 'scope', scope } : undefined;
}
