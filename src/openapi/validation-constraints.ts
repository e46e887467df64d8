import type { Type } from '@nestjs/common';
import type { OpenAPIObject, ParameterObject, ReferenceObject, SchemaObject } from '@nestjs/swagger';
import { getMetadataStorage } from 'class-validator';
import { documentOperations, RouteParamtypes, type RouteHandler } from './routes.js';

type Schema = SchemaObject & Partial<ReferenceObject>;

/**
 * The rules the ValidationPipe enforces, written into the document from the
 * class-validator metadata itself rather than left to the @nestjs/swagger CLI
 * plugin, which reads decorator arguments from the source text: it skips
 * `@ArrayMaxSize(MAX_LINES)` (a name, not a literal), does not map IsInt,
 * IsUUID, MaxChars, IsNotEmpty or a named RegExp at all. The values here are the
 * ones validation runs with. Only properties the document already has are
 * touched; `undocumentedProperties` reports the ones it lacks.
 */
const RULES: Record<string, (schema: Schema, constraints: unknown[]) => void> = {
  isInt: (s) => (s.type = 'integer'),
  isUuid: (s) => (s.format = 'uuid'),
  isIdOrMissing: (s) => (s.format = 'uuid'),
  isIso8601: (s) => (s.format = 'date-time'),
  min: (s, [min]) => (s.minimum = min as number),
  max: (s, [max]) => (s.maximum = max as number),
  minLength: (s, [min]) => (s.minLength = min as number),
  maxLength: (s, [max]) => (s.maxLength = max as number),
  maxChars: (s, [max]) => (s.maxLength = max as number),
  arrayMinSize: (s, [min]) => (s.minItems = min as number),
  arrayMaxSize: (s, [max]) => (s.maxItems = max as number),
  arrayUnique: (s) => (s.uniqueItems = true),
  isIn: (s, [values]) => (s.enum = [...(values as unknown[])]),
  matches: (s, [pattern]) => (s.pattern = (pattern as RegExp).source),
  isNotEmpty: (s) => {
    if (s.type === 'string') s.minLength = Math.max(s.minLength ?? 0, 1);
  },
};

const validationMetadatas = (target: Type<unknown>) =>
  getMetadataStorage().getTargetValidationMetadatas(target, '', true, false);

function constrain(target: Type<unknown>, property: string, schema: Schema): void {
  for (const m of validationMetadatas(target)) {
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

/** The properties the ValidationPipe accepts on a class (whitelist: the validated ones, inherited ones included). */
const acceptedProperties = (target: Type<unknown>) => new Set(validationMetadatas(target).map((m) => m.propertyName));

/** The @Query() DTO of each handler, by operationId. */
function queryClasses(routes: Map<string, RouteHandler>): Map<string, Type<unknown>> {
  const result = new Map<string, Type<unknown>>();
  for (const route of routes.values()) {
    const query = route.args.find((a) => a.kind === RouteParamtypes.QUERY && !a.name && a.type);
    if (query?.type) result.set(route.operationId, query.type);
  }
  return result;
}

/** The request schemas: components named after a validated class. */
function requestSchemas(document: OpenAPIObject): [Type<unknown>, SchemaObject][] {
  const classes = validatedClasses();
  return Object.entries(document.components?.schemas ?? {}).flatMap(([name, schema]) => {
    const target = classes.get(name);
    return target ? [[target, schema as SchemaObject] as [Type<unknown>, SchemaObject]] : [];
  });
}

export function applyValidationConstraints(document: OpenAPIObject, routes: Map<string, RouteHandler>): OpenAPIObject {
  for (const [target, schema] of requestSchemas(document)) {
    for (const [property, s] of Object.entries(schema.properties ?? {})) constrain(target, property, s as Schema);
    // forbidNonWhitelisted: a field the class does not declare is a 400 validation_failed.
    schema.additionalProperties = false;
  }
  const queries = queryClasses(routes);
  for (const { operation } of documentOperations(document)) {
    const target = operation.operationId && queries.get(operation.operationId);
    if (!target) continue;
    for (const p of (operation.parameters ?? []) as ParameterObject[]) {
      if (p.in === 'query' && p.schema) constrain(target, p.name, p.schema as Schema);
    }
  }
  return document;
}

/**
 * Fields the API accepts that the document does not show: `CreateItemDto.qty`,
 * `items_list?limit`. The @nestjs/swagger CLI plugin adds the properties, and it
 * leaves one out without a word when it cannot copy a decorator argument: it
 * catches the exception of its own code (`@Min(-MAX_DELTA)` made it build a
 * numeric literal from the text "-MAX_DELTA", which TypeScript refuses) and moves
 * on to the next property. `npm run openapi` refuses to write such a document.
 */
export function undocumentedProperties(document: OpenAPIObject, routes: Map<string, RouteHandler>): string[] {
  return [
    ...missingBodySchemas(document, routes),
    ...missingBodyFields(document),
    ...missingQueryFields(document, routes),
  ];
}

/** `items_create body CreateItemDto`: a validated @Body() class with no schema at all. */
function missingBodySchemas(document: OpenAPIObject, routes: Map<string, RouteHandler>): string[] {
  const classes = validatedClasses();
  const schemas = document.components?.schemas ?? {};
  return [...routes.values()].flatMap(({ operationId, args }) => {
    const body = args.find((a) => a.kind === RouteParamtypes.BODY && !a.name)?.type;
    return body && classes.has(body.name) && !schemas[body.name] ? [`${operationId} body ${body.name}`] : [];
  });
}

/** `AdjustQtyDto.delta`. */
function missingBodyFields(document: OpenAPIObject): string[] {
  return requestSchemas(document).flatMap(([target, schema]) =>
    [...acceptedProperties(target)].filter((p) => !schema.properties?.[p]).map((p) => `${target.name}.${p}`),
  );
}

/** `items_list?limit`. */
function missingQueryFields(document: OpenAPIObject, routes: Map<string, RouteHandler>): string[] {
  const queries = queryClasses(routes);
  return documentOperations(document).flatMap(({ operation }) => {
    const target = operation.operationId && queries.get(operation.operationId);
    if (!target) return [];
    const parameters = (operation.parameters ?? []) as ParameterObject[];
    const documented = new Set(parameters.filter((p) => p.in === 'query').map((p) => p.name));
    return [...acceptedProperties(target)]
      .filter((p) => !documented.has(p))
      .map((p) => `${operation.operationId}?${p}`);
  });
}
