import { HttpException, HttpStatus, Logger } from '@nestjs/common';
import { DomainError } from './errors.js';
import { isDatabaseUnavailable, isPgError, PgCode } from './pg-errors.js';

export interface ErrorBody {
  request_id: string;
  error: string;
  message: string;
  details?: unknown[];
}

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable_entity',
  429: 'rate_limited',
  503: 'service_unavailable',
};

/** body-parser / raw-body errors carry a `type` and a 4xx `status`. */
const BODY_PARSER_CODES: Record<string, string> = {
  'entity.parse.failed': 'invalid_json',
  'entity.too.large': 'payload_too_large',
  'encoding.unsupported': 'unsupported_media_type',
  'charset.unsupported': 'unsupported_media_type',
  'request.aborted': 'bad_request',
  'request.size.invalid': 'bad_request',
  'entity.verify.failed': 'bad_request',
};

const BODY_PARSER_MESSAGES: Record<string, string> = {
  invalid_json: 'Request body is not valid JSON',
  payload_too_large: 'Request body is too large',
  unsupported_media_type: 'Unsupported request body encoding',
};

interface BodyParserError {
  type: string;
  status: number;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return (
    typeof err === 'object' &&
    err !== null &&
    typeof (err as BodyParserError).type === 'string' &&
    typeof (err as BodyParserError).status === 'number' &&
    (err as BodyParserError).status < 500
  );
}

/**
 * Any other client error an Express middleware raised with http-errors (4xx, `expose`):
 * e.g. a body that claims a Content-Encoding it does not have, or a path that is not
 * valid percent-encoding. The client's fault, so a 400, not a 500.
 */
function isExposedClientError(err: unknown): err is { status: number } {
  const e = err as { status?: unknown; expose?: unknown } | null;
  return (
    typeof e === 'object' &&
    e !== null &&
    e.expose === true &&
    typeof e.status === 'number' &&
    e.status >= 400 &&
    e.status < 500
  );
}

const logger = new Logger('ExceptionFilter');

/**
 * Maps anything thrown while serving a request to a status and the error body of
 * the API contract. Unknown errors become a logged 500 with no internals in the body.
 */
export function toErrorResponse(err: unknown, requestId: string): { status: number; body: ErrorBody } {
  const body = (status: number, error: string, message: string, details?: unknown[]) => ({
    status,
    body: { request_id: requestId, error, message, ...(details ? { details } : {}) },
  });

  if (err instanceof DomainError) {
    return body(err.status, err.code, err.message, err.details);
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const code = CODE_BY_STATUS[status] ?? (status >= 500 ? 'internal_error' : 'bad_request');
    if (status >= 500) logger.error(`[${requestId}] ${err.message}`, err.stack);
    return body(status, code, status >= 500 ? 'Internal server error' : err.message);
  }
  if (isBodyParserError(err)) {
    const code = BODY_PARSER_CODES[err.type] ?? CODE_BY_STATUS[err.status] ?? 'bad_request';
    return body(err.status, code, BODY_PARSER_MESSAGES[code] ?? 'Malformed request');
  }
  if (isExposedClientError(err)) {
    return body(err.status, CODE_BY_STATUS[err.status] ?? 'bad_request', 'Malformed request');
  }
  if (isPgError(err, PgCode.numericOutOfRange)) {
    return body(HttpStatus.BAD_REQUEST, 'quantity_out_of_range', 'A quantity or amount would exceed its limit');
  }
  if (isDatabaseUnavailable(err)) {
    logger.warn(`[${requestId}] database unavailable: ${err instanceof Error ? err.message : String(err)}`);
    return body(
      HttpStatus.SERVICE_UNAVAILABLE,
      'service_unavailable',
      'The database is unavailable or busy; retry later',
    );
  }
  logger.error(`[${requestId}] unhandled error`, err instanceof Error ? err.stack : String(err));
  return body(HttpStatus.INTERNAL_SERVER_ERROR, 'internal_error', 'Internal server error');
}
