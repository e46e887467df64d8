import { HttpStatus } from '@nestjs/common';
import {
  BatchFailedError,
  CountBelowReservedError,
  DomainError,
  type ErrorDetail,
  InsufficientStockError,
  QuantityChangedError,
  QuantityOutOfRangeError,
} from '../common/errors.js';
import { MAX_QUANTITY } from '../inventory/quantities.js';
import type { FailedLine, LineFailure, LineOutcome } from './stock-plan.js';

// How the outcome of a plan is answered: each line's result in a 200, and the
// error of a request refused as a whole. Pure, so that the rules are read (and
// tested) in one place.

/** A sentence for a client's log: what failed on that line. */
export function failureMessage(f: LineFailure): string {
  switch (f.error) {
    case 'insufficient_stock':
      return `only ${f.available} units available, ${f.requested} to remove`;
    case 'count_below_reserved':
      return `a count of ${f.counted} is below the ${f.reserved} units reserved`;
    case 'quantity_changed':
      return `on_hand is ${f.on_hand}, not the expected ${f.expected_on_hand}`;
    case 'quantity_out_of_range':
      return `on_hand cannot exceed ${f.max}${f.outstanding > 0 ? `, counting the ${f.outstanding} units out on confirmed or processing orders` : ''}`;
    case 'not_found':
      return f.message;
  }
}

/** One failing line as `details` and per-line results give it: where, its code, why, and the numbers. */
export function failureDetail(line: FailedLine, { withIndex = true } = {}): ErrorDetail {
  const { error, ...numbers } = line.failure;
  return {
    ...(withIndex ? { index: line.index } : {}),
    item_id: line.item_id,
    warehouse_id: line.warehouse_id,
    error,
    ...numbers,
    message: failureMessage(line.failure),
  };
}

/**
 * The error of a request refused as a whole (nothing changed). Unknown items or
 * warehouses come first: 404 not_found listing every line that names one. Else,
 * when every failing line fails for the same reason, the request fails with that
 * code (409 quantity_changed when only compare-and-set failed: count again and
 * resend); lines failing for different reasons give 400 batch_failed. `details`
 * lists every failing line, in order, each with its own `error`.
 */
export function refusal(failed: FailedLine[], { withIndex = true } = {}): DomainError {
  if (failed.length === 0) throw new Error('refusal: no line failed');
  const unknown = failed.filter((l) => l.failure.error === 'not_found');
  if (unknown.length > 0) {
    const message = `Not found: ${unknown.map((l) => failureMessage(l.failure).replace(/^unknown /, '')).join(', ')}`;
    const details = unknown.map((l) => failureDetail(l, { withIndex }));
    return new DomainError('not_found', message, HttpStatus.NOT_FOUND, details);
  }
  const details = failed.map((l) => failureDetail(l, { withIndex }));
  const codes = new Set(failed.map((l) => l.failure.error));
  const only = codes.size === 1 ? failed[0]!.failure.error : undefined;
  const message = failed.length === 1 ? failureMessage(failed[0]!.failure) : `${failed.length} lines failed`;
  switch (only) {
    case 'quantity_changed':
      return new QuantityChangedError(details, `${message}; nothing was changed`);
    case 'count_below_reserved':
      return new CountBelowReservedError(details, message);
    case 'insufficient_stock':
      return new InsufficientStockError(message, details);
    case 'quantity_out_of_range':
      return new QuantityOutOfRangeError(MAX_QUANTITY, details, message);
    default:
      return new BatchFailedError(details, `${failed.length} lines failed for different reasons; nothing was changed`);
  }
}

/** A line's result in a 200: its row after the line (applied), or why it was left out (failed, per_line only). */
export function lineResult(o: LineOutcome): Record<string, unknown> {
  if (o.status === 'failed') return { status: 'failed', ...failureDetail(o) };
  return {
    index: o.index,
    item_id: o.item_id,
    warehouse_id: o.warehouse_id,
    status: 'applied',
    type: o.type,
    delta: o.delta,
    on_hand: o.after.on_hand,
    reserved: o.after.reserved,
    available: o.after.on_hand - o.after.reserved,
  };
}
