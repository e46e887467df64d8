import type { EntityManager } from 'typeorm';
import { combineParts, sql, type SqlPart } from './sql.js';

/**
 * Every table of the schema. A part may not take one of these names: as a CTE it
 * would hide the table from every other part that reads it. A test compares the
 * list with the database, so a new table cannot be forgotten here.
 */
export const TABLES: ReadonlySet<string> = new Set([
  'api_key',
  'audit_log',
  'event',
  'event_purge_mark',
  'idempotency_key',
  'item',
  'order_line',
  'order_status_history',
  'orders',
  'reservation',
  'reservation_line',
  'stock',
  'stock_movement',
  'tenant',
  'warehouse',
  'webhook_attempt',
  'webhook_delivery',
  'webhook_endpoint',
]);

const PART_NAME = /^[a-z][a-z0-9_]*$/;

/**
 * The writes of one change, on its transaction: a service adds them as named
 * parts (stock moved, rows inserted, statuses set, audit rows, and whatever
 * else every change must write) and flushes them as one statement of
 * data-modifying CTEs, so that reading the service shows every row the change
 * writes, and a row lock taken before is held for one more round trip only.
 *
 * The rules of one statement hold: every part sees the snapshot taken when the
 * statement starts, so no part may depend on another's changes, and no two
 * parts may change the same row (only one change would take effect). A part may
 * read what an earlier one returns (the ledger records the rows a stock part
 * changed, by its name). Names are
 * checked: a duplicate or a table's name is refused, never silently dropped.
 */
export class UnitOfWork {
  private readonly parts: [string, SqlPart | Collected<unknown>][] = [];

  constructor(readonly tx: EntityManager) {}

  /** One part: a statement of its own ($1…$n), e.g. an UPDATE of the locked stock rows. */
  add(name: string, part: SqlPart): this {
    this.claim(name);
    this.parts.push([name, part]);
    return this;
  }

  /**
   * Rows that several parts of the code contribute to one part (audit rows, say):
   * the first call names the part and says how to write all of them; later calls
   * with the same name and the same `write` add rows to it.
   */
  collect<T>(name: string, rows: T[], write: (rows: T[]) => SqlPart): this {
    if (rows.length === 0) return this;
    const existing = this.parts.find(([n]) => n === name)?.[1];
    if (existing instanceof Collected && existing.write === write) {
      (existing as Collected<T>).rows.push(...rows);
      return this;
    }
    this.claim(name);
    this.parts.push([name, new Collected([...rows], write) as Collected<unknown>]); // a copy: the caller keeps its array
    return this;
  }

  /** The part names, in the order they were added. */
  get names(): string[] {
    return this.parts.map(([n]) => n);
  }

  /** The statement flush() runs (for the snapshot tests). */
  statement(returning?: string): SqlPart {
    if (returning !== undefined && !this.names.includes(returning)) {
      throw new Error(`unit of work: there is no part named "${returning}" to return`);
    }
    return combineParts(
      this.parts.map(([n, p]) => [n, p instanceof Collected ? p.write(p.rows) : p]),
      returning === undefined ? undefined : `SELECT * FROM ${returning}`,
    );
  }

  /**
   * Writes every part in one statement (nothing when there is none) and starts
   * over. With `returning`, answers the rows that part returned.
   */
  async flush<T = never>(returning?: string): Promise<T[]> {
    if (this.parts.length === 0) return [];
    const { text, params } = this.statement(returning);
    this.parts.length = 0;
    const rows = await sql<T>(this.tx, text, params);
    return returning === undefined ? [] : rows;
  }

  private claim(name: string): void {
    if (!PART_NAME.test(name)) throw new Error(`unit of work: "${name}" is not a part name (lower case, digits, _)`);
    if (TABLES.has(name)) throw new Error(`unit of work: a part cannot be named like the table "${name}"`);
    if (this.parts.some(([n]) => n === name)) throw new Error(`unit of work: there is a part named "${name}" already`);
  }
}

class Collected<T> {
  constructor(
    readonly rows: T[],
    readonly write: (rows: T[]) => SqlPart,
  ) {}
}
