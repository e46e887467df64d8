import { HttpStatus } from '@nestjs/common';

/** One entry of an error's `details`, e.g. `{ field, message }` or a short line. */
export type ErrorDetail = object;

/**
 * A rule of the domain that a request would break. Services throw these; the one
 * global filter turns them into `{ request_id, error, message, details }`.
 */
export class DomainError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: HttpStatus = HttpStatus.BAD_REQUEST,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationFailedError extends DomainError {
  constructor(details: { field: string; message: string }[], message = 'Request validation failed') {
    super('validation_failed', message, HttpStatus.BAD_REQUEST, details);
  }
}

export class NotFoundError extends DomainError {
  constructor(what = 'Resource', details?: ErrorDetail[]) {
    super('not_found', `${what} not found`, HttpStatus.NOT_FOUND, details);
  }
}

/** One unknown reference of a request: where it is, and what it named (`{ field, message, sku }`, say). */
export interface UnknownReference {
  field: string;
  message: string;
  [kind: string]: string;
}

/** SKUs or warehouse codes that name nothing of the tenant: 404 with every one listed. */
export class UnknownReferencesError extends DomainError {
  constructor(unknown: UnknownReference[]) {
    super(
      'not_found',
      `Not found: ${unknown.map((u) => u.message.replace(/^unknown /, '')).join(', ')}`,
      HttpStatus.NOT_FOUND,
      unknown,
    );
  }
}

export class WarehouseInactiveError extends DomainError {
  constructor(warehouseIds: string[]) {
    super(
      'warehouse_inactive',
      `Inactive warehouse: ${warehouseIds.join(', ')} (lines may not name an inactive warehouse)`,
      HttpStatus.BAD_REQUEST,
      warehouseIds.map((warehouse_id) => ({ warehouse_id })),
    );
  }
}

export class InsufficientStockError extends DomainError {
  constructor(message = 'qty cannot go below 0', details?: ErrorDetail[]) {
    super('insufficient_stock', message, HttpStatus.BAD_REQUEST, details);
  }
}

export class DuplicateError extends DomainError {
  constructor(field: 'name' | 'sku' | 'code', value: string) {
    super(`duplicate_${field}`, `An object with ${field} "${value}" already exists`, HttpStatus.BAD_REQUEST);
  }
}

export class ItemInUseError extends DomainError {
  constructor(message = 'Item has reserved units and cannot be deleted', details?: ErrorDetail[]) {
    super('item_in_use', message, HttpStatus.BAD_REQUEST, details);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'Missing or unknown API key') {
    super('unauthorized', message, HttpStatus.UNAUTHORIZED);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'This key may not call this route') {
    super('forbidden', message, HttpStatus.FORBIDDEN);
  }
}

/** A valid key without the scope the route needs: `details` names the scope, and the scopes that would grant it. */
export class InsufficientScopeError extends DomainError {
  constructor(required: string, grantedBy: string[], held: readonly string[]) {
    super(
      'insufficient_scope',
      `This route needs the scope ${required}; this key has ${held.join(', ')}`,
      HttpStatus.FORBIDDEN,
      [{ required_scope: required, granted_by: grantedBy, key_scopes: held }],
    );
  }
}

/** A valid key of a disabled tenant: refused until the tenant is enabled again. */
export class TenantDisabledError extends DomainError {
  constructor() {
    super('tenant_disabled', 'The tenant of this API key is disabled', HttpStatus.FORBIDDEN);
  }
}

export class ServiceUnavailableError extends DomainError {
  constructor(message = 'The database is unavailable; retry later') {
    super('service_unavailable', message, HttpStatus.SERVICE_UNAVAILABLE);
  }
}

export class QuantityOutOfRangeError extends DomainError {
  constructor(max: number, details?: ErrorDetail[], message = `qty cannot exceed ${max}`) {
    super('quantity_out_of_range', message, HttpStatus.BAD_REQUEST, details);
  }
}

export class InvalidTransitionError extends DomainError {
  constructor(message: string, details?: ErrorDetail[]) {
    super('invalid_transition', message, HttpStatus.BAD_REQUEST, details);
  }
}

export class ReservationExpiredError extends DomainError {
  constructor(message = 'The reservation has expired') {
    super('reservation_expired', message, HttpStatus.BAD_REQUEST);
  }
}

export class ReservationUnavailableError extends DomainError {
  constructor(code: 'reservation_expired' | 'reservation_in_use' | 'invalid_transition', message: string) {
    super(code, message, HttpStatus.BAD_REQUEST);
  }
}

export class AmountOutOfRangeError extends DomainError {
  constructor() {
    super('amount_out_of_range', `The order total cannot exceed ${Number.MAX_SAFE_INTEGER} minor units`);
  }
}

export class IdempotencyKeyInUseError extends DomainError {
  constructor() {
    super(
      'idempotency_key_in_use',
      'A request with this Idempotency-Key is still in progress; retry later',
      HttpStatus.CONFLICT,
    );
  }
}

export class IdempotencyKeyReusedError extends DomainError {
  constructor() {
    super(
      'idempotency_key_reused',
      'This Idempotency-Key was used for a different request',
      HttpStatus.UNPROCESSABLE_ENTITY,
    );
  }
}

/** A compare-and-set found another value: nothing changed; `details` gives the current values per line. */
export class QuantityChangedError extends DomainError {
  constructor(details: ErrorDetail[], message = 'on_hand is no longer what expected_on_hand says') {
    super('quantity_changed', message, HttpStatus.CONFLICT, details);
  }
}

export class CountBelowReservedError extends DomainError {
  constructor(details: ErrorDetail[], message = 'A count cannot be below the units reserved') {
    super('count_below_reserved', message, HttpStatus.BAD_REQUEST, details);
  }
}

/** Lines of a batch failed for different reasons: nothing changed; `details` lists every failing line with its own code. */
export class BatchFailedError extends DomainError {
  constructor(details: ErrorDetail[], message = 'Lines of the batch failed; nothing was changed') {
    super('batch_failed', message, HttpStatus.BAD_REQUEST, details);
  }
}

/** A webhook URL whose host is (or resolves to) an address webhooks may not reach, or does not resolve. */
export class UrlNotAllowedError extends DomainError {
  constructor(message: string) {
    super('url_not_allowed', message, HttpStatus.BAD_REQUEST, [{ field: 'url', message }]);
  }
}

/** A feed cursor from before what the purge deleted: continuing from it would skip events. */
export class CursorExpiredError extends DomainError {
  constructor(retentionDays: number) {
    super(
      'cursor_expired',
      `Events after this cursor were purged (events are kept ${retentionDays} days): start again without a cursor`,
      HttpStatus.GONE,
    );
  }
}
