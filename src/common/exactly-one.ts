import { Transform } from 'class-transformer';
import { isUUID, ValidateBy, ValidateIf, type ValidationArguments } from 'class-validator';

/**
 * The first field of a pair that names one thing two ways (`item_id` or `sku`,
 * `warehouse_id` or `warehouse_code`): a request gives exactly one of them, or,
 * with `required: false`, at most one. This field reports a breach (so
 * `lines.0.item_id` names it): neither given, "give item_id or sku"; both, "give
 * item_id or sku, not both". It is validated when both are missing too, so its
 * own validators must accept `undefined` (IsIdOrMissing); the other field is an
 * ordinary `@Optional()` one.
 *
 *     @ExactlyOneOf('sku') @IsIdOrMissing() item_id?: string;
 *     @Optional() @IsString() @Matches(SKU_PATTERN) sku?: string;
 */
export function ExactlyOneOf(other: string, { required = true }: { required?: boolean } = {}): PropertyDecorator {
  return (target, key) => {
    const self = String(key);
    const given = (object: object, field: string) => (object as Record<string, unknown>)[field] !== undefined;
    ValidateIf((object: object, value: unknown) => value !== undefined || (required && !given(object, other)))(
      target,
      key,
    );
    ValidateBy({
      name: 'exactlyOneOf',
      constraints: [other, required],
      validator: {
        validate: (value: unknown, args?: ValidationArguments) =>
          value === undefined ? !required || given(args!.object, other) : !given(args!.object, other),
        defaultMessage: (args?: ValidationArguments) =>
          args!.value === undefined ? `give ${self} or ${other}` : `give ${self} or ${other}, not both`,
      },
    })(target, key);
  };
}

/** A UUID, lower-cased as IsId does, or no value at all: the id field of an ExactlyOneOf pair. */
export function IsIdOrMissing(): PropertyDecorator {
  return (target, key) => {
    ValidateBy({
      name: 'isIdOrMissing',
      validator: {
        validate: (value: unknown) => value === undefined || (typeof value === 'string' && isUUID(value, 'all')),
        defaultMessage: (args?: ValidationArguments) => `${args!.property} must be a UUID`,
      },
    })(target, key);
    Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value))(
      target,
      key,
    );
  };
}
