import type { OpenAPIObject, ParameterObject } from '@nestjs/swagger';
import { IS_ADMIN, IS_PUBLIC } from '../auth/public.decorator.js';
import { UuidParamPipe } from '../common/uuid-param.pipe.js';
import { IDEMPOTENCY_HEADER, MUTATING_METHODS, VALID_IDEMPOTENCY_KEY } from '../idempotency/idempotency.interceptor.js';
import { documentOperations, RouteParamtypes, type RouteHandler } from './routes.js';

const IDEMPOTENCY_PARAMETER = 'IdempotencyKey';

const idempotencyKeyParameter: ParameterObject = {
  name: IDEMPOTENCY_HEADER,
  in: 'header',
  required: false,
  description:
    'Makes the write safe to retry: the same key and request within the retention window replay the first ' +
    'response (header `Idempotent-Replayed: true`); the same key with another request is 422 ' +
    '`idempotency_key_reused`; while the first is still running, 409 `idempotency_key_in_use`.',
  schema: { type: 'string', minLength: 1, maxLength: 255, pattern: VALID_IDEMPOTENCY_KEY.source },
  example: 'order-cust-42-2026-12-01',
};

const metadata = (key: string, route: RouteHandler): boolean =>
  Boolean(Reflect.getMetadata(key, route.handler) ?? Reflect.getMetadata(key, route.controller));

/**
 * What the guard, the idempotency interceptor and the id pipe do, written into
 * each operation from the same metadata they act on, so that a new route is
 * described without anyone remembering to: public routes need no key
 * (`security: []`), tenant writes take an Idempotency-Key header, and path ids
 * are UUIDs (another value is 404, as UuidParamPipe answers).
 */
export function documentRouteBehaviour(document: OpenAPIObject, routes: Map<string, RouteHandler>): OpenAPIObject {
  let idempotent = false;
  for (const { method, operation } of documentOperations(document)) {
    const route = operation.operationId ? routes.get(operation.operationId) : undefined;
    if (!route) continue;
    const isPublic = metadata(IS_PUBLIC, route);
    if (isPublic && !operation.security) operation.security = [];
    const parameters = (operation.parameters ?? []) as ParameterObject[];
    if (!isPublic && !metadata(IS_ADMIN, route) && MUTATING_METHODS.has(method.toUpperCase())) {
      operation.parameters = [...parameters, { $ref: `#/components/parameters/${IDEMPOTENCY_PARAMETER}` }];
      idempotent = true;
    }
    for (const arg of route.args) {
      if (arg.kind !== RouteParamtypes.PARAM || !arg.pipes.includes(UuidParamPipe)) continue;
      const parameter = parameters.find((p) => p.in === 'path' && p.name === arg.name);
      if (parameter) parameter.schema = { ...parameter.schema, format: 'uuid' };
    }
  }
  if (idempotent) {
    document.components = {
      ...document.components,
      parameters: { ...document.components?.parameters, [IDEMPOTENCY_PARAMETER]: idempotencyKeyParameter },
    };
  }
  return document;
}
