import { describe, expect, it } from '@jest/globals';
import { createHmac } from 'node:crypto';
import { CursorCodec, InvalidCursorError } from './cursor.js';

const SECRET = 'unit-test-cursor-secret-0123456789';
const codec = new CursorCodec(SECRET);

/** Signs a payload the way the codec does, to build cursors that are authentic but malformed inside. */
const signed = (payloadText: string) => {
  const payload = Buffer.from(payloadText).toString('base64url');
  return `${payload}.${createHmac('sha256', SECRET).update(payload).digest('base64url').slice(0, 22)}`;
};

const rejects = (cursor: string, kind = 'items', arity = 2) =>
  expect(() => codec.decode(kind, cursor, arity)).toThrow(InvalidCursorError);

describe('CursorCodec', () => {
  it.each([
    [['apple', '5b8c0a3e-3f5e-4a8e-9a51-0f1f0b5a7c11']],
    [['näme.with.dots / ünïcode ✓', 'x']],
    [[42, null]],
    [['', -1]],
  ])('round-trips %j', (values) => {
    expect(codec.decode('items', codec.encode('items', values), values.length)).toEqual(values);
  });

  it('makes an opaque token: no dots inside the payload, URL-safe characters only', () => {
    const cursor = codec.encode('items', ['a.b.c', 'x/y+z']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
  });

  it('refuses a cursor of another list', () => rejects(codec.encode('audit', ['a', 'b'])));

  it('refuses a cursor with the wrong number of values', () => {
    rejects(codec.encode('items', ['a']));
    rejects(codec.encode('items', ['a', 'b', 'c']));
  });

  it('refuses a payload changed under the original signature', () => {
    const [, signature] = codec.encode('items', ['apple', 'id-1']).split('.');
    rejects(`${Buffer.from(JSON.stringify(['items', 'banana', 'id-1'])).toString('base64url')}.${signature}`);
  });

  it('refuses a changed, truncated or extended signature', () => {
    const cursor = codec.encode('items', ['apple', 'id-1']);
    const last = cursor.at(-1) === 'A' ? 'B' : 'A';
    rejects(`${cursor.slice(0, -1)}${last}`);
    rejects(cursor.slice(0, -1));
    rejects(`${cursor}A`);
  });

  it('refuses a cursor signed with another secret', () => {
    rejects(new CursorCodec('some-other-secret-of-16+chars').encode('items', ['apple', 'id-1']));
  });

  it.each([[''], ['.'], ['abc'], ['abc.'], ['.abc'], ['a.b.c'], ['%%%.%%%']])(
    'refuses the malformed cursor %j',
    (cursor) => rejects(cursor),
  );

  it('refuses a cursor over 1024 characters even when authentic', () => {
    const cursor = codec.encode('items', ['x'.repeat(1000), 'id']);
    expect(cursor.length).toBeGreaterThan(1024);
    rejects(cursor);
  });

  it.each([['not json'], ['{"kind":"items"}'], ['"items"'], ['null'], ['["items", "a"']])(
    'refuses an authentic signature over a bad payload %j',
    (payload) => rejects(signed(payload), 'items', 1),
  );

  it('is a 400 invalid_cursor domain error', () => {
    const error = (() => {
      try {
        codec.decode('items', 'garbage', 2);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toMatchObject({ code: 'invalid_cursor', status: 400 });
  });
});
