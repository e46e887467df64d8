/** The value of one sample in a Prometheus text exposition (0 when absent). */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return 0;
}

/** Every line of a text exposition is a comment, blank, or `name{labels} value`. */
export const EXPOSITION_LINE =
  /^(#.*|[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="(?:[^"\\]|\\.)*",?)*\})? -?(\d+(\.\d+)?(e[+-]?\d+)?|NaN|Nan|\+Inf|-Inf))?$/; // prom-client writes NaN as "Nan", which Prometheus parses

export interface MetricFamily {
  type: string;
  /** Every label name its samples carry. */
  labels: Set<string>;
  samples: number;
}

/** The metric families of a text exposition by name (`# TYPE` lines), with the label names of their samples. */
export function metricFamilies(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    families.set(name!, { type: type!, labels: new Set(), samples: 0 });
  }
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    const family = m && familyOf(families, m[1]!);
    if (!family) continue;
    family.samples++;
    for (const [, label] of (m[2] ?? '').matchAll(/(\w+)="(?:[^"\\]|\\.)*"/g)) family.labels.add(label!);
  }
  return families;
}

/** The family a series belongs to: the one of its name, or the histogram or summary of a _bucket, _sum or _count. */
export function familyOf(families: Map<string, MetricFamily>, series: string): MetricFamily | undefined {
  const own = families.get(series);
  if (own) return own;
  const m = /^(.*)_(bucket|sum|count)$/.exec(series);
  const base = m && families.get(m[1]!);
  return base && (base.type === 'histogram' || (base.type === 'summary' && m[2] !== 'bucket')) ? base : undefined;
}
