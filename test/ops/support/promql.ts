import { parser } from '@prometheus-io/lezer-promql';

export interface Selector {
  metric: string;
  /** The label names it matches on. */
  labels: string[];
}

export interface ParsedQuery {
  selectors: Selector[];
  /** Labels named by `by (…)` / `without (…)` and `on (…)` / `ignoring (…)`. */
  grouping: string[];
  /** The text of every part the parser could not read. */
  errors: string[];
}

/**
 * The metrics and labels a PromQL expression uses, read by Prometheus' own grammar
 * (@prometheus-io/lezer-promql, what the Prometheus UI parses with).
 */
export function parsePromQL(expr: string): ParsedQuery {
  const parsed: ParsedQuery = { selectors: [], grouping: [], errors: [] };
  const cursor = parser.parse(expr).cursor();
  const text = () => expr.slice(cursor.from, cursor.to);
  do {
    const name = cursor.type.name;
    if (cursor.type.isError)
      parsed.errors.push(`cannot parse at ${cursor.from}: "${expr.slice(cursor.from, cursor.from + 20)}"`);
    if (name === 'VectorSelector') parsed.selectors.push({ metric: '', labels: [] });
    if (name === 'Identifier' && cursor.node.parent?.type.name === 'VectorSelector')
      parsed.selectors.at(-1)!.metric = text();
    if (name === 'LabelName') {
      const inMatcher = cursor.node.parent?.type.name === 'UnquotedLabelMatcher';
      (inMatcher ? parsed.selectors.at(-1)!.labels : parsed.grouping).push(text());
    }
  } while (cursor.next());
  return parsed;
}

/**
 * A Grafana query as PromQL: `$__rate_interval` and the like become a duration, and
 * `label_values(selector, label)` (a variable's query) its selector, with the label.
 */
export function grafanaQueryAsPromQL(query: string): { expr: string; label?: string } {
  const expr = query.replace(/\$__\w+/g, '5m');
  const labelValues = /^label_values\((.*),\s*(\w+)\)$/s.exec(expr);
  return labelValues ? { expr: labelValues[1]!, label: labelValues[2]! } : { expr };
}
