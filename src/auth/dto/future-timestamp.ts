import { buildMessage, ValidateBy, type ValidationOptions } from 'class-validator';

/** Ends in `Z` or an offset: without one, Node and PostgreSQL could read the same text as different instants. */
const WITH_OFFSET = /(Z|[+-]\d{2}(:?\d{2})?)$/i;

/** An ISO-8601 time with its offset, later than the moment the request is validated. */
export function IsFutureTimestamp(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isFutureTimestamp',
      validator: {
        validate: (value: unknown) =>
          typeof value === 'string' && WITH_OFFSET.test(value) && Date.parse(value) > Date.now(),
        defaultMessage: buildMessage((prefix) => `${prefix}$property must be a future time with its offset`, options),
      },
    },
    options,
  );
}
