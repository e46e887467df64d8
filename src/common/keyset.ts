import { Page } from './page.js';

/**
 * A timestamp column as text with microseconds, for cursors: a JS Date keeps only
 * milliseconds, and a cursor that loses precision skips or repeats rows.
 */
export const cursorTimestamp = (column: string) =>
  `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/**
 * Turns `limit + 1` fetched rows into a page: the extra row only says that
 * another page exists, and the cursor points after the last row shown.
 */
export function toPage<Row, View>(
  rows: Row[],
  limit: number,
  cursorAfter: (last: Row) => string,
  view: (row: Row) => View,
): Page<View> {
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  const next = rows.length > limit && last !== undefined ? cursorAfter(last) : null;
  return new Page(shown.map(view), next, limit);
}

/** WHERE clauses with positional parameters, built up filter by filter. */
export class SqlWhere {
  readonly params: unknown[] = [];
  private readonly clauses: string[] = [];

  /** Adds a clause; each `?` becomes the next positional parameter. */
  add(clause: string, ...values: unknown[]): this {
    let i = 0;
    this.clauses.push(clause.replace(/\?/g, () => this.param(values[i++])));
    return this;
  }

  /** Adds a parameter and returns its placeholder (`$n`). */
  param(value: unknown): string {
    this.params.push(value);
    return `$${this.params.length}`;
  }

  toString(): string {
    return this.clauses.join(' AND ');
  }
}
