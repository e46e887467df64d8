import { createHmac, timingSafeEqual } from 'node:crypto';
import { DomainError } from './errors.js';

export class InvalidCursorError extends DomainError {
  constructor() {
    super('invalid_cursor', 'The cursor is malformed or was not issued by this service');
  }
}

export type CursorValue = string | number | null;

/**
 * Opaque, tamper-evident keyset cursors: base64url(JSON) + "." + truncated HMAC.
 * The payload names the list it belongs to, so a cursor of one list or sort
 * cannot be replayed against another.
 */
export class CursorCodec {
  constructor(private readonly secret: string) {}

  encode(kind: string, values: CursorValue[]): string {
    const payload = Buffer.from(JSON.stringify([kind, ...values])).toString('base64url');
    return `${payload}.${this.sign(payload)}`;
  }

  /** Returns the values, or throws InvalidCursorError (a 400). */
  decode(kind: string, cursor: string, arity: number): CursorValue[] {
    const [payload, signature, ...rest] = cursor.split('.');
    if (!payload || !signature || rest.length > 0 || cursor.length > 1024) throw new InvalidCursorError();
    const expected = Buffer.from(this.sign(payload));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new InvalidCursorError();
    let parsed: unknown;
    try {
      parsed = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidCursorError();
    }
    if (!Array.isArray(parsed) || parsed[0] !== kind || parsed.length !== arity + 1) throw new InvalidCursorError();
    return parsed.slice(1) as CursorValue[];
  }

  private sign(payload: string): string {
    return createHmac('sha256', this.secret).update(payload).digest('base64url').slice(0, 22);
  }
}
