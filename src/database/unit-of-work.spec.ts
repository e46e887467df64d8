import { describe, expect, it } from '@jest/globals';
import type { EntityManager } from 'typeorm';
import { UnitOfWork } from './unit-of-work.js';

const uow = () => new UnitOfWork({} as EntityManager);
const part = (text: string, ...params: unknown[]) => ({ text, params });

describe('UnitOfWork', () => {
  it('combines its parts in the order they were added', () => {
    const work = uow().add('moved', part('UPDATE s SET x = $1', 1)).add('added', part('INSERT INTO t VALUES ($1)', 2));
    expect(work.names).toEqual(['moved', 'added']);
    expect(work.statement()).toEqual({
      text: 'WITH moved AS (UPDATE s SET x = $1),\nadded AS (INSERT INTO t VALUES ($2))\nSELECT 1',
      params: [1, 2],
    });
  });

  it('ends with the rows of one part when asked, and only of a part it has', () => {
    const work = uow().add('moved', part('UPDATE s SET x = $1 RETURNING x', 1));
    expect(work.statement('moved').text).toBe('WITH moved AS (UPDATE s SET x = $1 RETURNING x)\nSELECT * FROM moved');
    expect(() => work.statement('other')).toThrow(/no part named "other"/);
  });

  it('refuses a second part of the same name instead of dropping one', () => {
    const work = uow().add('audit_rows', part('INSERT INTO audit_log SELECT 1'));
    expect(() => work.add('audit_rows', part('INSERT INTO audit_log SELECT 2'))).toThrow(/already/);
    expect(work.names).toEqual(['audit_rows']);
  });

  it('refuses a part named like a table (it would hide the table from the other parts)', () => {
    expect(() => uow().add('stock', part('UPDATE stock SET on_hand = 1'))).toThrow(/table "stock"/);
    expect(() => uow().add('orders', part('UPDATE orders SET status = 1'))).toThrow(/table "orders"/);
  });

  it('refuses a name that is not a plain identifier', () => {
    expect(() => uow().add('x; DROP TABLE item', part('SELECT 1'))).toThrow(/not a part name/);
  });

  it('collects rows that several callers contribute into one part', () => {
    const write = (rows: number[]) => part('INSERT INTO audit_log SELECT unnest($1::int[])', rows);
    const work = uow()
      .collect('audit_rows', [1], write)
      .add('moved', part('UPDATE s SET x = $1', 9))
      .collect('audit_rows', [2, 3], write);
    expect(work.statement()).toEqual({
      text: 'WITH audit_rows AS (INSERT INTO audit_log SELECT unnest($1::int[])),\nmoved AS (UPDATE s SET x = $2)\nSELECT 1',
      params: [[1, 2, 3], 9],
    });
    expect(() => work.add('audit_rows', part('SELECT 1'))).toThrow(/already/);
    expect(() => work.collect('moved', [1], write)).toThrow(/already/);
  });

  it("leaves the callers' arrays as they were", () => {
    const write = (rows: number[]) => part('INSERT INTO audit_log SELECT unnest($1::int[])', rows);
    const first = [1];
    uow().collect('audit_rows', first, write).collect('audit_rows', [2], write);
    expect(first).toEqual([1]);
  });

  it('flushes nothing when empty', async () => {
    await expect(uow().flush()).resolves.toEqual([]);
  });
});
