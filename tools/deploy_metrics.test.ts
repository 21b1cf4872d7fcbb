/**
 * The alert rules (deploy/prometheus/alerts.yml) and the Grafana dashboard
 * (deploy/grafana/openprep.json) name only metrics that exist: those of serve's /metrics, the
 * agent's and the cut scheduler's textfiles, and the few of Prometheus and node_exporter they
 * rely on. A renamed metric would otherwise leave an alert that can never fire. Where Debian's
 * promtool is installed, the rules are also checked by it and their unit tests
 * (deploy/prometheus/alerts.test.yml) run.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import process from 'node:process';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Registry } from 'prom-client';
import { parse } from 'yaml';
import { z } from 'zod';
import { AgentMetrics } from '../src/agent/agent_metrics.ts';
import { SchedulerMetrics } from '../src/publish/scheduler_metrics.ts';
import { INTAKE_STATUS } from '../src/server/app.ts';
import { registerAlertSinkMetrics } from '../src/server/alert_metrics.ts';
import { CenterMetrics } from '../src/server/metrics.ts';

const ROOT = path.join(import.meta.dirname, '..');
const ALERTS = path.join(ROOT, 'deploy', 'prometheus', 'alerts.yml');
const ALERT_TESTS = path.join(ROOT, 'deploy', 'prometheus', 'alerts.test.yml');
const DASHBOARD = path.join(ROOT, 'deploy', 'grafana', 'openprep.json');

/** Series Prometheus itself and node_exporter's textfile collector add. */
const EXTERNAL = new Set(['up', 'node_textfile_mtime_seconds', 'node_textfile_scrape_error']);

/** Every series name our registries expose (a histogram's as its _bucket, _sum and _count). */
function exported(registry: Registry): string[] {
  return registry
    .getMetricsAsArray()
    .flatMap((metric) =>
      (metric as unknown as { type: string }).type === 'histogram'
        ? [`${metric.name}_bucket`, `${metric.name}_sum`, `${metric.name}_count`]
        : [metric.name],
    );
}

/** The alert sinks' series, registered on `serve`'s registry when a sink is configured. */
function alertSinkRegistry(): Registry {
  const registry = new Registry();
  registerAlertSinkMetrics(registry, () => []);
  return registry;
}

const KNOWN = new Set([
  ...exported(new CenterMetrics({ refusalReasons: Object.keys(INTAKE_STATUS) }).registry),
  ...exported(new AgentMetrics().registry),
  ...exported(new SchedulerMetrics('/nonexistent/never-written.prom').registry),
  ...exported(alertSinkRegistry()),
  ...EXTERNAL,
]);

const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression reads: identifiers left once strings, label matchers,
 * ranges, grouping label lists and dashboard variables are taken out, that are neither a
 * function (followed by a parenthesis), a keyword, nor the exponent of a number.
 */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, '');
  const names: string[] = [];
  for (const match of bare.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const before = bare[match.index - 1] ?? ' ';
    if (/[0-9.]/.test(before)) continue;
    if (
      bare
        .slice(match.index + match[0].length)
        .trimStart()
        .startsWith('(')
    )
      continue;
    if (KEYWORDS.has(match[0].toLowerCase())) continue;
    names.push(match[0]);
  }
  return names;
}

const alertsSchema = z.strictObject({
  groups: z
    .array(
      z.strictObject({
        name: z.string().regex(/^openprep-[a-z]+$/),
        rules: z
          .array(
            z.strictObject({
              alert: z.string().regex(/^OpenPREP[A-Za-z]+$/),
              expr: z.string().min(1),
              for: z
                .string()
                .regex(/^\d+[smh]$/)
                .optional(),
              labels: z.strictObject({ severity: z.enum(['warning', 'critical']) }),
              annotations: z.strictObject({
                summary: z.string().min(10),
                description: z.string().optional(),
              }),
            }),
          )
          .min(1),
      }),
    )
    .min(1),
});

const dashboardSchema = z.looseObject({
  uid: z.string(),
  title: z.string(),
  panels: z.array(
    z.looseObject({
      id: z.number().int(),
      type: z.string(),
      title: z.string().min(1),
      targets: z.array(z.looseObject({ refId: z.string(), expr: z.string().min(1) })).optional(),
    }),
  ),
});

describe('deploy: alert rules and dashboard', () => {
  test('the name extraction finds metrics and only metrics', () => {
    assert.deepEqual(
      metricNames(
        'histogram_quantile(0.99, sum by (le, instance) (rate(a_bucket{x="b c", le!="1e9"}[5m]))) > 2 and on (job) b_total offset 5m / 1e9',
      ),
      ['a_bucket', 'b_total'],
    );
    assert.deepEqual(metricNames('time() - c_seconds > 120'), ['c_seconds']);
    assert.deepEqual(metricNames('sum by (reason) (rate(d_total[$__rate_interval]))'), ['d_total']);
  });

  test('every alert rule parses, is complete, and names only metrics that exist', async () => {
    const alerts = alertsSchema.parse(parse(await readFile(ALERTS, 'utf8')));
    const names = new Set<string>();
    for (const group of alerts.groups)
      for (const rule of group.rules) {
        assert.ok(!names.has(rule.alert), `${rule.alert} twice`);
        names.add(rule.alert);
        const used = metricNames(rule.expr);
        assert.ok(used.length > 0, `${rule.alert} reads no metric`);
        for (const name of used) assert.ok(KNOWN.has(name), `${rule.alert}: no metric ${name}`);
      }
    // What the deployment guide promises to be alerted on.
    for (const alert of [
      'OpenPREPCutLag',
      'OpenPREPNoLeaseHolder',
      'OpenPREPLeaseFlapping',
      'OpenPREPCaptureBacklogGrowing',
      'OpenPREPAgentOutboxBacklog',
      'OpenPREPDatabasePoolSaturated',
      'OpenPREPRefusalSpike',
    ])
      assert.ok(names.has(alert), `no ${alert} rule`);
  });

  test('every dashboard panel names only metrics that exist', async () => {
    const dashboard = dashboardSchema.parse(JSON.parse(await readFile(DASHBOARD, 'utf8')));
    const ids = new Set<number>();
    let queries = 0;
    for (const panel of dashboard.panels) {
      assert.ok(!ids.has(panel.id), `panel id ${panel.id} twice`);
      ids.add(panel.id);
      if (panel.type === 'row') continue;
      assert.ok((panel.targets ?? []).length > 0, `${panel.title} has no query`);
      for (const target of panel.targets ?? []) {
        queries++;
        const used = metricNames(target.expr);
        assert.ok(used.length > 0, `${panel.title} reads no metric`);
        for (const name of used) assert.ok(KNOWN.has(name), `${panel.title}: no metric ${name}`);
      }
    }
    assert.ok(queries >= 20);
  });

  test('promtool checks the rules and runs their unit tests (when Debian’s prometheus is installed)', async (t) => {
    const run = promisify(execFile);
    const available = await run('promtool', ['--version']).then(
      () => true,
      () => false,
    );
    if (!available) {
      // CI installs it (.ci/run) and says so: there a missing promtool is a failure, not a skip.
      assert.ok(
        process.env['OPENPREP_REQUIRE_PROMTOOL'] !== '1',
        'promtool is required here but not installed',
      );
      t.skip('promtool is not installed (apt-get install prometheus)');
      return;
    }
    await run('promtool', ['check', 'rules', ALERTS]);
    const tested = await run('promtool', ['test', 'rules', ALERT_TESTS], { cwd: path.dirname(ALERTS) });
    assert.match(tested.stdout, /SUCCESS/);
  });
});
