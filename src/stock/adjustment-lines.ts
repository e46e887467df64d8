import { adjustmentTypeProblem } from '../ledger/movement.js';
import type { AdjustmentLineDto } from './dto/adjust-stock.dto.js';
import type { StockOp } from './stock-plan.js';

/**
 * What validation by field cannot say of a batch line: it is a delta or a count,
 * exactly one, and its other fields belong to that kind. Pure: `{ field, message }`
 * for validation_failed, none when the lines are well formed.
 */
export function lineShapeProblems(lines: AdjustmentLineDto[]): { field: string; message: string }[] {
  return lines.flatMap((line, i) => {
    const at = (field?: string) => (field ? `lines.${i}.${field}` : `lines.${i}`);
    const isDelta = line.delta !== undefined;
    const isCount = line.on_hand !== undefined;
    if (isDelta === isCount) {
      return [{ field: at(), message: `${at()} must give delta or on_hand${isDelta ? ', not both' : ''}` }];
    }
    const problems: { field: string; message: string }[] = [];
    if (isCount && line.type !== undefined) {
      problems.push({ field: at('type'), message: 'type is for delta lines: a count records a counted movement' });
    }
    if (isDelta && line.expected_on_hand !== undefined) {
      problems.push({ field: at('expected_on_hand'), message: 'expected_on_hand is for count lines (with on_hand)' });
    }
    const typeProblem = isDelta && line.type !== undefined && adjustmentTypeProblem(line.type, line.delta!);
    if (typeProblem) problems.push({ field: at('type'), message: typeProblem });
    return problems;
  });
}

/** The operation of a well-formed line (see lineShapeProblems). */
export function opOf(line: AdjustmentLineDto): StockOp {
  if (line.on_hand !== undefined) {
    return {
      kind: 'count',
      on_hand: line.on_hand,
      ...(line.expected_on_hand !== undefined ? { expected_on_hand: line.expected_on_hand } : {}),
    };
  }
  return { kind: 'delta', delta: line.delta!, type: line.type ?? 'adjusted' };
}
