import { ArgumentMetadata, ValidationError, ValidationPipe } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { ValidateIf, ValidationOptions } from 'class-validator';
import { ValidationFailedError } from './errors.js';

/**
 * Like @IsOptional(), but only a missing field is optional: an explicit `null`
 * is still validated (and so rejected), as the API contract demands.
 */
export function Optional(options?: ValidationOptions): PropertyDecorator {
  return ValidateIf((_object, value) => value !== undefined, options);
}

/** Trims a string, leaving any other type as it is so that validation rejects it. */
export const Trim = () => Transform(({ value }) => (typeof value === 'string' ? value.trim() : value));

/**
 * Query strings are text: converts a plain decimal integer ("20") to a number and
 * leaves anything else ("1.5", "abc", "") untouched so that @IsInt() rejects it.
 */
export const QueryInt = () =>
  Transform(({ value }) => (typeof value === 'string' && /^-?\d{1,16}$/.test(value) ? Number(value) : value));

/** A query parameter given once or several times (`?status=a&status=b`, or `a,b`) as an array. */
export const QueryList = () =>
  Transform(({ value }) => {
    const list = Array.isArray(value) ? value : [value];
    return list.flatMap((v) => (typeof v === 'string' ? v.split(',') : [v])).filter((v) => v !== '');
  });

export function flattenValidationErrors(errors: ValidationError[], prefix = ''): { field: string; message: string }[] {
  return errors.flatMap((error) => {
    const field = prefix ? `${prefix}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({ field, message }));
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/** The first own key anywhere in a parsed JSON value that could pollute prototypes. */
function findForbiddenKey(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value !== 'object' || value === null || depth > 32) return undefined;
  for (const key of Object.keys(value)) {
    const here = path ? `${path}.${key}` : key;
    if (FORBIDDEN_KEYS.has(key)) return here;
    const found = findForbiddenKey((value as Record<string, unknown>)[key], here, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * class-validator with the API contract's extra rules: a body must be a JSON
 * object, and keys such as `__proto__` are refused rather than silently dropped.
 */
class StrictValidationPipe extends ValidationPipe {
  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
        throw new ValidationFailedError([{ field: 'body', message: 'body must be a JSON object' }]);
      }
    }
    if (metadata.type === 'body' || metadata.type === 'query') {
      const key = findForbiddenKey(value, '');
      if (key) throw new ValidationFailedError([{ field: key, message: `property ${key} should not exist` }]);
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
