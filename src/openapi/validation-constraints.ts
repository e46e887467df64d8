import type { INestApplication, Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants.js';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum.js';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject, ParameterObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';

type Schema = SchemaObject & Partial<ReferenceObject>;

/**
 * What the @nestjs/swagger plugin does not read from class-validator, applied to
 * the document: the API takes JSON integers only (`IsInt` → integer), ids are
 * UUIDs, MaxChars bounds strings, IsNotEmpty makes them non-empty, IsISO8601 is a
 * date-time, Matches gives the pattern (also where the plugin cannot read it: a
 * named RegExp). Only properties the document already has are touched.
 */
const RULES: Record<string, (schema: Schema, constraints: unknown[]) => void> = {
  isInt: (s) => (s.type = 'integer'),
  isUuid: (s) => (s.format = 'uuid'),
  isIso8601: (s) => (s.format = 'date-time'),
  maxChars: (s, [max]) => (s.maxLength = max as number),
  matches: (s, [pattern]) => (s.pattern = (pattern as RegExp).source),
  isIdOrMissing: (s) => (s.format = 'uuid'),
  isNotEmpty: (s) => {
    if (s.type === 'string') s.minLength = Math.max(s.minLength ?? 0, 1);
  },
};

function constrain(target: Type<unknown>, property: string, schema: Schema): void {
  const metadatas = getMetadataStorage().getTargetValidationMetadatas(target, '', true, false);
  for (const m of metadatas) {
    const rule = m.propertyName === property && m.name ? RULES[m.name] : undefined;
    if (!rule) continue;
    const subject =
      m.each && schema.type === 'array' && schema.items && !('$ref' in schema.items)
        ? (schema.items as Schema)
        : schema;
    rule(subject, m.constraints ?? []);
  }
}

/** Every class with validation rules, by name (the name @nestjs/swagger gives its schema). */
function validatedClasses(): Map<string, Type<unknown>> {
  const storage = getMetadataStorage() as unknown as { validationMetadatas: Map<Type<unknown>, unknown> };
  return new Map(
    [...storage.validationMetadatas.keys()].filter((t) => typeof t === 'function').map((t) => [t.name, t]),
  );
}

/** The @Query() DTO of each handler, by the operationId createOpenApiDocument gives it. */
function queryClassesByOperation(app: INestApplication, operationId: (controller: string, method: string) => string) {
  const result = new Map<string, Type<unknown>>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (!metatype) continue;
      const proto = (metatype as Type<unknown>).prototype as Record<string, unknown>;
      for (const method of Object.getOwnPropertyNames(proto)) {
        const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, metatype, method) ?? {}) as Record<
          string,
          { index: number }
        >;
        const types = (Reflect.getMetadata('design:paramtypes', proto, method) ?? []) as Type<unknown>[];
        for (const [key, { index }] of Object.entries(args)) {
          if (Number(key.split(':')[0]) === Number(RouteParamtypes.QUERY) && types[index]) {
            result.set(operationId(metatype.name, method), types[index]);
          }
        }
      }
    }
  }
  return result;
}

export function applyValidationConstraints(
  app: INestApplication,
  document: OpenAPIObject,
  operationId: (controller: string, method: string) => string,
): OpenAPIObject {
  const classes = validatedClasses();
  for (const [name, schema] of Object.entries(document.components?.schemas ?? {})) {
    const target = classes.get(name);
    const properties = (schema as SchemaObject).properties ?? {};
    if (target) for (const [property, s] of Object.entries(properties)) constrain(target, property, s as Schema);
  }
  const queries = queryClassesByOperation(app, operationId);
  for (const item of Object.values(document.paths)) {
    for (const operation of [item.get, item.post, item.put, item.patch, item.delete]) {
      const target = operation?.operationId && queries.get(operation.operationId);
      if (!target) continue;
      for (const p of (operation.parameters ?? []) as ParameterObject[]) {
        if (p.in === 'query' && p.schema) constrain(target, p.name, p.schema as Schema);
      }
    }
  }
  return document;
}
