import { ValidationFailedError } from './errors.js';

// Partial updates (PATCH): which fields a request gives, which of them change
// the row, and the SET list that writes them.

/** Refuses a PATCH body that gives none of `fields` (400 validation_failed on `body`). */
export function requireSome(dto: object, fields: readonly string[]): void {
  if (fields.some((f) => (dto as Record<string, unknown>)[f] !== undefined)) return;
  throw new ValidationFailedError([{ field: 'body', message: `give at least one of ${fields.join(', ')}` }]);
}

/** The fields of `patch` that differ from `current`, with their old and new values: what the audit row says. */
export function changesOf<T extends object>(current: T, patch: Partial<T>): { old: Partial<T>; new: Partial<T> } {
  const old: Partial<T> = {};
  const next: Partial<T> = {};
  for (const key of Object.keys(patch) as (keyof T)[]) {
    const value = patch[key];
    if (value === undefined || value === current[key]) continue;
    old[key] = current[key];
    next[key] = value;
  }
  return { old, new: next };
}

/** `col = $n, …` for the changed columns, numbered from `firstParam`; names are DTO fields (whitelisted), checked again. */
export function setList(changes: Record<string, unknown>, firstParam: number): { text: string; params: unknown[] } {
  const entries = Object.entries(changes);
  for (const [column] of entries) if (!/^[a-z_]+$/.test(column)) throw new Error(`not a column name: ${column}`);
  return {
    text: entries.map(([column], i) => `${column} = $${firstParam + i}`).join(', '),
    params: entries.map(([, value]): unknown => value),
  };
}
