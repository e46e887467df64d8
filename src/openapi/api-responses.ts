import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiProperty, ApiPropertyOptional, ApiResponse, getSchemaPath } from '@nestjs/swagger';

// Response documentation shared by every controller: the success envelope, the
// list envelope and the one error body, with an example for every error code.
//
// The decorators are named Api…Response on purpose: the @nestjs/swagger CLI
// plugin then treats them as explicit success responses and adds no
// `{ type: Object }` response of its own.

/** The security scheme of /metrics (METRICS_TOKEN), beside `bearer` (API keys, ADMIN_TOKEN). */
export const METRICS_TOKEN_SCHEME = 'metrics_token';

export const EXAMPLE_REQUEST_ID = '3f2b8c1e-5d4a-4e7b-9c61-2a8f0d9e7b15';

export class ErrorResponse {
  @ApiProperty({
    description: 'Id of the request: also the X-Request-Id header and the request_id of its logs and audit rows',
    example: EXAMPLE_REQUEST_ID,
  })
  request_id!: string;

  @ApiProperty({ description: 'Stable snake_case code to switch on', example: 'not_found' })
  error!: string;

  @ApiProperty({ description: 'Human-readable explanation; may change', example: 'Item not found' })
  message!: string;

  @ApiPropertyOptional({
    description: 'Specifics: `{ field, message }` for validation_failed, the short lines for insufficient_stock, …',
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ field: 'qty', message: 'qty must be an integer number' }],
  })
  details?: object[];
}

export class PageInfo {
  @ApiProperty({
    description: 'Pass as `cursor` to get the next page; null on the last page',
    type: String,
    nullable: true,
    example: 'WyJpdGVtcyIsImFwcGxlIiwiNWI4YzBhM2UiXQ.Kx3Pq0v9tR2mYb8LwZc1aA',
  })
  next_cursor!: string | null;

  @ApiProperty({ description: 'Page size used', example: 20 })
  limit!: number;
}

/** A sample message and details for every error code the API answers with. */
const ERROR_EXAMPLES: Record<string, { message: string; details?: object[] }> = {
  validation_failed: {
    message: 'Request validation failed',
    details: [{ field: 'qty', message: 'qty must be an integer number' }],
  },
  invalid_json: { message: 'Request body is not valid JSON' },
  invalid_cursor: { message: 'The cursor is malformed or was not issued by this service' },
  insufficient_stock: {
    message: 'Not enough available stock for every line',
    details: [{ item_id: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11', requested: 6, available: 4 }],
  },
  duplicate_name: { message: 'An object with name "apple" already exists' },
  duplicate_sku: { message: 'An object with sku "APPLE-1" already exists' },
  duplicate_code: { message: 'An object with code "BER-1" already exists' },
  item_in_use: { message: 'Item has reserved units and cannot be deleted' },
  invalid_transition: {
    message: 'An order cannot go from delivered to cancelled',
    details: [{ current_status: 'delivered', allowed: [] }],
  },
  warehouse_inactive: {
    message: 'Inactive warehouse: 9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60 (lines may not name an inactive warehouse)',
    details: [{ warehouse_id: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60' }],
  },
  reservation_expired: { message: 'The reservation has expired' },
  reservation_in_use: { message: 'The reservation is already used by an order' },
  quantity_out_of_range: { message: 'qty cannot exceed 2147483647' },
  quantity_changed: {
    message: 'on_hand is 47, not the expected 48; nothing was changed',
    details: [
      {
        index: 0,
        item_id: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11',
        warehouse_id: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60',
        error: 'quantity_changed',
        expected_on_hand: 48,
        on_hand: 47,
        message: 'on_hand is 47, not the expected 48',
      },
    ],
  },
  count_below_reserved: {
    message: 'a count of 1 is below the 2 units reserved',
    details: [
      {
        index: 0,
        item_id: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11',
        warehouse_id: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60',
        error: 'count_below_reserved',
        counted: 1,
        reserved: 2,
        message: 'a count of 1 is below the 2 units reserved',
      },
    ],
  },
  batch_failed: {
    message: '2 lines failed for different reasons; nothing was changed',
    details: [
      {
        index: 0,
        item_id: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11',
        warehouse_id: '9d0e6a52-1c1f-4b0e-8a5e-3c2b7f1d4e60',
        error: 'insufficient_stock',
        requested: 5,
        available: 3,
        message: 'only 3 units available, 5 to remove',
      },
      {
        index: 3,
        item_id: '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11',
        warehouse_id: '1f4c2a9e-7b3d-4c8e-a2f1-6d5e4c3b2a10',
        error: 'quantity_changed',
        expected_on_hand: 10,
        on_hand: 9,
        message: 'on_hand is 9, not the expected 10',
      },
    ],
  },
  amount_out_of_range: { message: 'The order total cannot exceed 9007199254740991 minor units' },
  url_not_allowed: {
    message: 'url: 10.0.0.5 is a loopback, private, link-local or reserved address',
    details: [{ field: 'url', message: 'url: 10.0.0.5 is a loopback, private, link-local or reserved address' }],
  },
  cursor_expired: {
    message: 'Events after this cursor were purged (events are kept 7 days): start again without a cursor',
  },
  unauthorized: { message: 'Missing or unknown API key' },
  forbidden: { message: 'Admin routes need the ADMIN_TOKEN' },
  insufficient_scope: {
    message: 'This route needs the scope inventory:write; this key has inventory:read',
    details: [
      {
        required_scope: 'inventory:write',
        granted_by: ['inventory:write', '*'],
        key_scopes: ['inventory:read'],
      },
    ],
  },
  tenant_disabled: { message: 'The tenant of this API key is disabled' },
  not_found: { message: 'Item not found' },
  idempotency_key_in_use: { message: 'A request with this Idempotency-Key is still in progress; retry later' },
  payload_too_large: { message: 'Request body is too large' },
  idempotency_key_reused: { message: 'This Idempotency-Key was used for a different request' },
  rate_limited: { message: 'Rate limit of 6000 requests per minute for this API key exceeded; retry in 12 s' },
  internal_error: { message: 'Internal server error' },
  service_unavailable: { message: 'The database is unavailable or busy; retry later' },
};

export type ErrorSpec = Partial<Record<number, string[]>>;

/**
 * Documents error responses: each status with the codes it can carry, the
 * shared error schema, and one example body per code. Usable on a controller
 * (every route) and on a method (adds to or replaces the controller's statuses).
 *
 *     @ApiErrors({ 400: ['validation_failed', 'duplicate_sku'], 404: ['not_found'] })
 */
export function ApiErrors(spec: ErrorSpec): MethodDecorator & ClassDecorator {
  const decorators = Object.entries(spec).map(([status, codes = []]) =>
    ApiResponse({
      status: Number(status),
      type: ErrorResponse,
      description: `Error codes: ${codes.map((c) => `\`${c}\``).join(', ')}`,
      examples: Object.fromEntries(
        codes.map((code) => {
          const sample = ERROR_EXAMPLES[code] ?? { message: code };
          return [code, { summary: code, value: { request_id: EXAMPLE_REQUEST_ID, error: code, ...sample } }];
        }),
      ),
    }),
  );
  return applyDecorators(ApiExtraModels(ErrorResponse), ...decorators);
}

/** Errors every tenant route can answer with. */
export const TENANT_ROUTE_ERRORS: ErrorSpec = {
  401: ['unauthorized'],
  403: ['tenant_disabled'],
  429: ['rate_limited'],
  500: ['internal_error'],
  503: ['service_unavailable'],
};

/** Errors of every tenant write, which takes an Idempotency-Key (400 `validation_failed` for a malformed key). */
export const IDEMPOTENCY_ERRORS: ErrorSpec = {
  409: ['idempotency_key_in_use'],
  422: ['idempotency_key_reused'],
};

/** Errors of every write with a JSON body, besides its own (400 codes are listed per route). */
export const BODY_ERRORS: ErrorSpec = { ...IDEMPOTENCY_ERRORS, 413: ['payload_too_large'] };

/** `{ request_id, data: <model> }`. */
export function ApiDataResponse(model: Type<unknown>, options: { status?: number; description?: string } = {}) {
  return applyDecorators(
    ApiExtraModels(model),
    ApiResponse({
      status: options.status ?? 200,
      description: options.description ?? 'Success',
      schema: {
        type: 'object',
        required: ['request_id', 'data'],
        properties: {
          request_id: { type: 'string', example: EXAMPLE_REQUEST_ID },
          data: { $ref: getSchemaPath(model) },
        },
      },
    }),
  );
}

/** `{ request_id, data: [<model>], page: { next_cursor, limit } }`. */
export function ApiPageResponse(model: Type<unknown>, description = 'One page, in the order of the list') {
  return applyDecorators(
    ApiExtraModels(model, PageInfo),
    ApiResponse({
      status: 200,
      description,
      schema: {
        type: 'object',
        required: ['request_id', 'data', 'page'],
        properties: {
          request_id: { type: 'string', example: EXAMPLE_REQUEST_ID },
          data: { type: 'array', items: { $ref: getSchemaPath(model) } },
          page: { $ref: getSchemaPath(PageInfo) },
        },
      },
    }),
  );
}
