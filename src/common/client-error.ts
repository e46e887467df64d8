import { randomUUID } from 'node:crypto';
import { STATUS_CODES, type Server } from 'node:http';
import type { Socket } from 'node:net';

/** Node's HTTP parser errors that the client caused, and the status each deserves. */
const STATUS_BY_PARSER_CODE: Record<string, number> = {
  HPE_HEADER_OVERFLOW: 431,
  HPE_URI_TOO_LONG: 414,
  HPE_CHUNK_EXTENSIONS_OVERFLOW: 413,
};

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  408: 'request_timeout',
  413: 'payload_too_large',
  414: 'uri_too_long',
  431: 'request_header_fields_too_large',
};

/**
 * Requests Node's HTTP parser refuses (headers or URL over the 16 kB limit, broken
 * framing, a header timeout) never reach Express: Node answers them itself with an
 * empty body. This answers them in the API's error envelope instead, so that every
 * response, even to a request that is not valid HTTP, is JSON with a request id.
 */
export function answerClientErrorsWithJson(server: Server): void {
  server.on('clientError', (err: NodeJS.ErrnoException & { code?: string }, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : (STATUS_BY_PARSER_CODE[err.code ?? ''] ?? 400);
    const requestId = randomUUID();
    const body = JSON.stringify({
      request_id: requestId,
      error: CODE_BY_STATUS[status] ?? 'bad_request',
      message: status === 400 ? 'Malformed HTTP request' : (STATUS_CODES[status] ?? 'Bad request'),
    });
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
