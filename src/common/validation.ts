import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { buildMessage, IsUUID, ValidateBy, ValidateIf, ValidationOptions } from 'class-validator';
import { ValidationFailedError } from './errors.js';

/**
 * Like @IsOptional(), but only a missing field is optional: an explicit `null`
 * is still validated (and so rejected), as the API contract demands.
 */
export function Optional(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined, options);
}

/**
 * A field that may be missing (left as it is) or `null` (cleared): only a value
 * is validated. For updates of nullable columns (`sku`, `description`).
 */
export function Nullable(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined && value !== null, options);
}

/**
 * A UUID field: validated, then lower-cased, so `ABC…` and `abc…` name the same
 * row (PostgreSQL returns ids in lower case and the services compare them).
 */
export function IsId(options?: ValidationOptions): PropertyDecorator {
  return (target, key) => {
    IsUUID('all', options)(target, key);
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))(
      target,
      key,
    );
  };
}

/** Trims a string, leaving any other type as it is so that validation rejects it. */
export const Trim = () =>
  Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value));

/**
 * Query strings are text: converts a plain decimal integer ("20") to a number and
 * leaves anything else ("1.5", "abc", "") untouched so that @IsInt() rejects it.
 */
export const QueryInt = () =>
  Transform(({ value }: { value: unknown }) =>
    typeof value === 'string' && /^-?\d{1,16}$/.test(value) && Number.isSafeInteger(Number(value))
      ? Number(value)
      : value,
  );

/** A query parameter given once or several times (`?status=a&status=b`, or `a,b`) as an array. */
export const QueryList = () =>
  Transform(({ value }: { value: unknown }) => {
    const list: unknown[] = Array.isArray(value) ? value : [value];
    return list.flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])).filter((v) => v !== '');
  });

export function flattenValidationErrors(errors: ValidationError[], prefix = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

// Also every name Object.prototype answers to (toString, valueOf, hasOwnProperty, ...):
// class-transformer skips such keys, so without this they would be dropped silently
// instead of refused as unknown fields.
const FORBIDDEN_KEYS = new Set([
  '__proto__',
  'constructor',
  'prototype',
  ...Object.getOwnPropertyNames(Object.prototype),
]);
export const MAX_JSON_DEPTH = 32;

/**
 * Finds what no field of this API may contain, anywhere in a parsed body or query:
 * nesting deeper than MAX_JSON_DEPTH (class-transformer recurses), keys that could
 * pollute prototypes, NUL characters and lone surrogates (PostgreSQL text cannot
 * store them). Iterative, so a hostile depth cannot overflow the stack here.
 */
export function findHostileContent(root: unknown): { field: string; message: string } | undefined {
  const stack: { value: unknown; path: string; depth: number }[] = [{ value: root, path: '', depth: 0 }];
  while (stack.length > 0) {
    const { value, path, depth } = stack.pop()!;
    const field = path || 'body';
    if (typeof value === 'string') {
      if (value.includes('\u0000')) return { field, message: `${field} must not contain NUL characters` };
      if (!value.isWellFormed()) return { field, message: `${field} must be well-formed Unicode` };
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_JSON_DEPTH) return { field, message: `nesting deeper than ${MAX_JSON_DEPTH} levels` };
    for (const key of Object.keys(value)) {
      const here = path ? `${path}.${key}` : key;
      if (FORBIDDEN_KEYS.has(key)) return { field: here, message: `property ${here} should not exist` };
      if (key.includes('\u0000') || !key.isWellFormed()) return { field: here, message: 'invalid property name' };
      stack.push({ value: (value as Record<string, unknown>)[key], path: here, depth: depth + 1 });
    }
  }
  return undefined;
}

/** Counts characters as PostgreSQL's char_length does (code points), unlike @MaxLength. */
export function MaxChars(max: number, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'maxChars',
      constraints: [max],
      validator: {
        validate: (value: unknown) => typeof value === 'string' && [...value].length <= max,
        defaultMessage: buildMessage((prefix) => `${prefix}$property must be at most $constraint1 characters`, options),
      },
    },
    options,
  );
}

/**
 * class-validator with the API contract's extra rules: a body must be a JSON
 * object, and hostile content (see findHostileContent) is refused up front.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
        throw new ValidationFailedError([{ field: 'body', message: 'body must be a JSON object' }]);
      }
    }
    if (metadata.type === 'body' || metadata.type === 'query') {
      const problem = findHostileContent(value);
      if (problem) throw new ValidationFailedError([problem]);
    }
    return super.transform(value, metadata);
  }
}

/** Strict validation: unknown fields rejected, no implicit type coercion. */
export function createValidationPipe(): ValidationPipe {
  return new StrictValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationFailedError(flattenValidationErrors(errors)),
  });
}
