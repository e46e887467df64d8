import type { INestApplication, Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject, OperationObject } from '@nestjs/swagger';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** One decorated argument of a handler (`@Param('id', UuidParamPipe) id`, `@Query() q: ListItemsQuery`, …). */
export interface RouteArgument {
  kind: RouteParamtypes;
  /** The name given to the decorator: `id` of `@Param('id')`. */
  name?: string;
  pipes: unknown[];
  /** The declared type of the argument (emitDecoratorMetadata). */
  type?: Type<unknown>;
}

/** A controller method as the document names it, with what Nest knows about it and its arguments. */
export interface RouteHandler {
  operationId: string;
  controller: Type<unknown>;
  handler: object;
  args: RouteArgument[];
}

/** Every controller method of the application, keyed by the operationId createOpenApiDocument gives it. */
export function routeHandlers(
  app: INestApplication,
  operationId: (controller: string, method: string) => string,
): Map<string, RouteHandler> {
  const result = new Map<string, RouteHandler>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (!metatype) continue;
      const controller = metatype as Type<unknown>;
      const proto = controller.prototype as Record<string, unknown>;
      for (const method of Object.getOwnPropertyNames(proto)) {
        const handler = proto[method];
        if (method === 'constructor' || typeof handler !== 'function') continue;
        const declared = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, method) ?? {}) as Record<
          string,
          { index: number; data?: unknown; pipes?: unknown[] }
        >;
        const types = (Reflect.getMetadata('design:paramtypes', proto, method) ?? []) as Type<unknown>[];
        const args = Object.entries(declared).map(([key, { index, data, pipes }]) => ({
          kind: Number(key.split(':')[0]) as RouteParamtypes,
          name: typeof data === 'string' ? data : undefined,
          pipes: pipes ?? [],
          type: types[index],
        }));
        const id = operationId(controller.name, method);
        result.set(id, { operationId: id, controller, handler, args });
      }
    }
  }
  return result;
}

/** Every operation of the document with its path and method. */
export function documentOperations(
  document: OpenAPIObject,
): { path: string; method: HttpMethod; operation: OperationObject }[] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.filter((method) => item[method]).map((method) => ({ path, method, operation: item[method]! })),
  );
}

export { RouteParamtypes };
