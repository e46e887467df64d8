import 'reflect-metadata';
import { describe, expect, it } from '@jest/globals';
import type { ArgumentMetadata } from '@nestjs/common';
import { IsArray, IsInt, IsString, type ValidationError } from 'class-validator';
import { AdjustQtyDto } from '../inventory/dto/adjust-qty.dto.js';
import { CreateItemDto } from '../inventory/dto/create-item.dto.js';
import { ListItemsQuery } from '../inventory/dto/list-items.query.js';
import { ValidationFailedError } from './errors.js';
import { createValidationPipe, flattenValidationErrors, Optional, QueryInt, QueryList, Trim } from './validation.js';

const pipe = createValidationPipe();
const body = (metatype: ArgumentMetadata['metatype'], value: unknown) =>
  pipe.transform(value, { type: 'body', metatype });
const query = (metatype: ArgumentMetadata['metatype'], value: unknown) =>
  pipe.transform(value, { type: 'query', metatype });

/** The details of the ValidationFailedError a transform rejects with. */
async function rejection(promise: Promise<unknown>): Promise<{ field: string; message: string }[]> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ValidationFailedError);
  return (error as ValidationFailedError).details as { field: string; message: string }[];
}
const fields = async (promise: Promise<unknown>) => [...new Set((await rejection(promise)).map((d) => d.field))];

class Probe {
  @Optional()
  @Trim()
  @IsString()
  label?: string;

  @Optional()
  @QueryInt()
  @IsInt()
  n?: number;

  @Optional()
  @QueryList()
  @IsArray()
  @IsString({ each: true })
  tags?: string[];
}

describe('strict validation pipe: integers take JSON integers only', () => {
  it('accepts an integer delta and returns a DTO instance', async () => {
    const dto = await body(AdjustQtyDto, { delta: -1_000_000_000 });
    expect(dto).toBeInstanceOf(AdjustQtyDto);
    expect(dto).toEqual(Object.assign(new AdjustQtyDto(), { delta: -1_000_000_000 }));
  });

  it.each([[true], [false], ['1'], [1.5], [null], [1e20], [[]], [{}], [[1]], [Number.NaN], [Infinity]])(
    'refuses delta %j',
    async (delta) => expect(await fields(body(AdjustQtyDto, { delta }))).toEqual(['delta']),
  );

  it('refuses a missing delta, also when the whole body is missing', async () => {
    expect(await fields(body(AdjustQtyDto, {}))).toEqual(['delta']);
    expect(await fields(body(AdjustQtyDto, undefined))).toEqual(['delta']);
  });
});

describe('strict validation pipe: body shape', () => {
  it.each([[[{ delta: 1 }]], ['{"delta":1}'], [5], [null], [true]])('refuses the non-object body %j', async (value) => {
    expect(await fields(body(AdjustQtyDto, value))).toEqual(['body']);
  });

  it('refuses unknown fields rather than dropping them', async () => {
    expect(await fields(body(AdjustQtyDto, { delta: 1, admin: true }))).toEqual(['admin']);
  });

  it.each([
    ['{"delta":1,"__proto__":{"x":1}}', '__proto__'],
    ['{"delta":1,"meta":{"constructor":{"prototype":{}}}}', 'meta.constructor'],
    ['{"delta":1,"list":[{"prototype":1}]}', 'list.0.prototype'],
    ['{"delta":1,"toString":5}', 'toString'],
    ['{"delta":1,"hasOwnProperty":{}}', 'hasOwnProperty'],
  ])('refuses the prototype-polluting key in %s', async (json, field) => {
    expect(await fields(body(AdjustQtyDto, JSON.parse(json)))).toEqual([field]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('refuses the same keys in a query', async () => {
    expect(await fields(query(ListItemsQuery, JSON.parse('{"__proto__":{"limit":"5"}}')))).toEqual(['__proto__']);
  });

  it('refuses a deeply nested body as bad input instead of overflowing the stack', async () => {
    let deep: unknown = [];
    for (let i = 0; i < 20000; i++) deep = [deep];
    await rejection(body(AdjustQtyDto, { delta: 1, x: deep }));
  });
});

describe('strict validation pipe: strings', () => {
  it('trims names, and a blank name is empty', async () => {
    expect(await body(CreateItemDto, { name: '  apple \n' })).toMatchObject({ name: 'apple' });
    expect(await fields(body(CreateItemDto, { name: ' \t ' }))).toEqual(['name']);
  });

  it('Optional: a missing field is fine, an explicit null is not', async () => {
    expect(await body(Probe, {})).toEqual(new Probe());
    expect(await fields(body(Probe, { label: null }))).toEqual(['label']);
  });

  it('Trim leaves non-strings alone so that they are rejected', async () => {
    expect(await fields(body(Probe, { label: 5 }))).toEqual(['label']);
    expect(await body(Probe, { label: ' x ' })).toMatchObject({ label: 'x' });
  });

  it('refuses NUL characters, which PostgreSQL text cannot store', async () => {
    expect(await fields(body(CreateItemDto, { name: 'a\u0000b' }))).toEqual(['name']);
    expect(await fields(body(AdjustQtyDto, { delta: 1, reason: '\u0000' }))).toEqual(['reason']);
  });

  it('counts length in code points as PostgreSQL does (a variation selector is a character)', async () => {
    expect(await fields(body(CreateItemDto, { name: `${'a'.repeat(255)}\uFE0F` }))).toEqual(['name']);
    expect(await body(CreateItemDto, { name: '\u{1F600}'.repeat(255) })).toMatchObject({
      name: '\u{1F600}'.repeat(255),
    });
  });
});

describe('query parameters', () => {
  it('QueryInt converts plain decimal integers only', async () => {
    expect(await query(Probe, { n: '20' })).toMatchObject({ n: 20 });
    expect(await query(Probe, { n: '-3' })).toMatchObject({ n: -3 });
    expect(await query(Probe, { n: '9007199254740991' })).toMatchObject({ n: Number.MAX_SAFE_INTEGER });
    for (const n of ['1.5', 'abc', '', '1e3', '0x10', ' 7', '+7']) {
      expect(await fields(query(Probe, { n }))).toEqual(['n']);
    }
  });

  it('QueryInt never rounds: an integer beyond 2^53 is refused, not silently changed', async () => {
    expect(await fields(query(Probe, { n: '9007199254740993' }))).toEqual(['n']);
  });

  it.each([['0'], ['101'], ['abc'], [['5', '6']]])('the items list refuses limit %j', async (limit) => {
    expect(await fields(query(ListItemsQuery, { limit }))).toEqual(['limit']);
  });

  it('QueryList splits repeated and comma-separated values and drops empty ones', async () => {
    expect(await query(Probe, { tags: 'a,b' })).toMatchObject({ tags: ['a', 'b'] });
    expect(await query(Probe, { tags: ['a', 'b,c', ''] })).toMatchObject({ tags: ['a', 'b', 'c'] });
  });
});

describe('flattenValidationErrors', () => {
  it('names nested fields with dotted paths and keeps every message', () => {
    const errors: ValidationError[] = [
      {
        property: 'lines',
        constraints: { isArray: 'lines must be an array' },
        children: [
          {
            property: '0',
            children: [
              {
                property: 'qty',
                constraints: { isInt: 'qty must be an integer', min: 'qty must not be less than 1' },
                children: [],
              },
            ],
          },
        ],
      },
    ];
    expect(flattenValidationErrors(errors)).toEqual([
      { field: 'lines', message: 'lines must be an array' },
      { field: 'lines.0.qty', message: 'qty must be an integer' },
      { field: 'lines.0.qty', message: 'qty must not be less than 1' },
    ]);
  });
});
