import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { newItem, newTenant } from '../support/fixtures.js';
import { orderOf } from '../support/orders.js';
import { reserve } from '../support/reservations.js';
import { startTestApp, type TestApp } from '../support/test-app.js';
import { familyOf, metricFamilies, type MetricFamily } from './support/prometheus.js';
import { grafanaQueryAsPromQL, parsePromQL } from './support/promql.js';

// deploy/: the Prometheus alert rules and the Grafana dashboard query the metrics
// of GET /metrics. Every expression is parsed with Prometheus' grammar, and every
// metric and label it names must be in the running app's /metrics: a renamed
// metric or label breaks this test instead of silencing an alert.
const DEPLOY = resolve(import.meta.dirname, '../../deploy');
/** Series Prometheus makes itself, and the labels it puts on every scraped series. */
const FROM_PROMETHEUS = new Set(['up']);
const TARGET_LABELS = new Set(['job', 'instance']);

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: { severity?: string };
  annotations?: { summary?: string; description?: string };
}
interface Panel {
  title: string;
  type: string;
  targets?: { expr: string }[];
  datasource?: { uid: string };
}

const rules = (
  parseYaml(readFileSync(resolve(DEPLOY, 'prometheus/alerts.yml'), 'utf8')) as { groups: { rules: AlertRule[] }[] }
).groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(readFileSync(resolve(DEPLOY, 'grafana/inventory-service.json'), 'utf8')) as {
  panels: Panel[];
  templating: { list: { name: string; type: string; query: string | { query: string } }[] };
};
const panels = dashboard.panels.filter((p) => p.type !== 'row');
/** Every query of the dashboard: its panels' targets and its variables' label_values(). */
const dashboardQueries = [
  ...panels.flatMap((p) => (p.targets ?? []).map((target) => ({ where: `panel "${p.title}"`, query: target.expr }))),
  ...dashboard.templating.list
    .filter((v) => v.type === 'query')
    .map((v) => ({ where: `variable $${v.name}`, query: typeof v.query === 'string' ? v.query : v.query.query })),
];

/** What is wrong with `expr` against the families of a scrape: unparsable, unknown metrics, unknown labels. */
function problemsOf(where: string, query: string, families: Map<string, MetricFamily>): string[] {
  const { expr, label } = grafanaQueryAsPromQL(query);
  const parsed = parsePromQL(expr);
  const problems = parsed.errors.map((e) => `${where}: ${e}`);
  if (parsed.selectors.length === 0) problems.push(`${where}: no metric in "${expr}"`);
  const used: MetricFamily[] = [];
  for (const { metric, labels } of parsed.selectors) {
    if (FROM_PROMETHEUS.has(metric)) continue;
    const family = familyOf(families, metric);
    if (!family) {
      problems.push(`${where}: ${metric} is not in /metrics`);
      continue;
    }
    used.push(family);
    for (const l of labels) {
      if (TARGET_LABELS.has(l) || family.labels.has(l)) continue;
      problems.push(
        family.samples === 0
          ? `${where}: ${metric} has no samples in the scrape to check its label ${l} against`
          : `${where}: ${metric} has no label ${l} (it has ${[...family.labels].join(', ') || 'none'})`,
      );
    }
  }
  for (const l of [...parsed.grouping, ...(label ? [label] : [])]) {
    if (!TARGET_LABELS.has(l) && !used.some((f) => f.labels.has(l))) {
      problems.push(`${where}: no metric of "${expr}" has the label ${l}`);
    }
  }
  return problems;
}

describe('deploy/: alert rules and dashboard', () => {
  let t: TestApp;
  let families: Map<string, MetricFamily>;

  beforeAll(async () => {
    t = await startTestApp();
    // Samples for the labelled series the expressions filter or group on: requests of
    // several statuses, a refusal for lack of stock, an order.
    const tenant = await newTenant(t);
    const item = await newItem(t, tenant, { qty: 2 });
    await reserve(t, tenant, { lines: [{ item_id: item.id, quantity: 3 }] }).expect(400);
    await orderOf(t, tenant, item.id, 1);
    await t.http.get('/api/nowhere').expect(404);
    families = metricFamilies((await t.http.get('/metrics').expect(200)).text);
  });
  afterAll(() => t.close());

  it('every alert rule parses, and names only metrics and labels /metrics has', () => {
    expect(rules.length).toBeGreaterThanOrEqual(5);
    expect(rules.flatMap((r) => problemsOf(`alert ${r.alert}`, r.expr, families))).toEqual([]);
  });

  it('every dashboard query parses, and names only metrics and labels /metrics has', () => {
    expect(panels.length).toBeGreaterThanOrEqual(10);
    expect(dashboardQueries.flatMap(({ where, query }) => problemsOf(where, query, families))).toEqual([]);
  });

  it('the rules alert on the stalled sweeper, 5xx, pool waits and failing webhook endpoints', () => {
    const metricsOf = (r: AlertRule) => parsePromQL(r.expr).selectors.map((s) => s.metric);
    const alerting = (metric: string) => rules.filter((r) => metricsOf(r).includes(metric));
    expect(alerting('inventory_expired_holds_oldest_age_seconds')).not.toHaveLength(0);
    expect(alerting('http_request_duration_seconds_count').filter((r) => r.expr.includes('"5.."'))).not.toHaveLength(0);
    expect(alerting('inventory_db_pool_waiting_requests')).not.toHaveLength(0);
    expect(alerting('inventory_webhook_endpoints').filter((r) => r.expr.includes('state="failing"'))).not.toHaveLength(
      0,
    );
    for (const r of rules) {
      expect(r).toMatchObject({ labels: { severity: expect.stringMatching(/^(critical|warning|info)$/) } });
      expect(r.annotations?.summary).toBeTruthy();
    }
  });

  it('every dashboard panel queries through the dashboard datasource variable', () => {
    for (const p of panels) {
      expect(p.targets?.length).toBeGreaterThan(0);
      expect(p.datasource?.uid).toBe('${datasource}');
    }
  });
});
