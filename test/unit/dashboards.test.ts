// The Grafana dashboards in docs/dashboards are importable (uid, title, panels, schemaVersion),
// filter by region, show Meridian's annotations, and every query parses as PromQL and names
// metrics that Meridian's Pushgateway push and the sample service really export.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stageRegistry } from '../../activities/pushgateway.js';
import { ensureDebianPackages } from '../../lab/debian.js';
import { startSampleService } from '../../lab/sample-service.js';

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  panels: { id: number; title: string; gridPos: object; targets: { expr: string }[] }[];
  templating: { list: { name: string; type: string }[] };
  annotations: { list: { name: string; target?: { type: string; tags: string[] } }[] };
}

const FILES = ['global-overview.json', 'region-canary.json'];
const load = (f: string) => JSON.parse(readFileSync(new URL(`../../docs/dashboards/${f}`, import.meta.url), 'utf8')) as Dashboard;
/** Grafana's variables replaced the way Grafana would before sending the query. */
const interpolate = (expr: string) => expr.replace(/\$__rate_interval/g, '1m').replace(/\$(service|region|version)/g, 'x');

let dir: string;
let exported: Set<string>;

beforeAll(async () => {
  ensureDebianPackages(['prometheus']); // promtool
  dir = mkdtempSync(join(tmpdir(), 'meridian-dashboards-'));
  const stage = await stageRegistry({
    version: 'v1',
    stage: 'canary 10%',
    weightPct: 10,
    outcome: 'passed',
    metrics: { errorRatePct: 0.1, latencyP95Ms: 100, cpuPct: 5, memoryPct: 20, sampledAt: new Date().toISOString() },
  }).getMetricsAsJSON();
  const svc = await startSampleService({ colour: 'blue', version: 'v1' });
  try {
    const scraped = await (await fetch(`${svc.url}/metrics`)).text();
    const names = [...scraped.matchAll(/^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/gm)].map((m) => m[1]!);
    exported = new Set([...stage.map((m) => m.name), ...names]);
  } finally {
    await svc.stop();
  }
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(FILES)('dashboard %s', (file) => {
  const d = load(file);

  it('has what Grafana needs to import it', () => {
    expect(d.uid).toMatch(/^meridian-[a-z-]+$/);
    expect(d.uid.length).toBeLessThanOrEqual(40);
    expect(d.title).toMatch(/^Meridian/);
    expect(d.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(d.panels.length).toBeGreaterThan(4);
    expect(new Set(d.panels.map((p) => p.id)).size).toBe(d.panels.length);
    for (const p of d.panels) expect(p.gridPos).toBeDefined();
  });

  it('has a region variable and the meridian annotation query', () => {
    expect(d.templating.list.map((v) => v.name)).toEqual(expect.arrayContaining(['datasource', 'service', 'region']));
    const meridian = d.annotations.list.find((a) => a.target?.type === 'tags');
    expect(meridian?.target?.tags).toContain('meridian');
  });

  it('queries only metrics that are exported, in valid PromQL', () => {
    const exprs = d.panels.flatMap((p) => p.targets.map((t) => t.expr));
    const names = new Set(exprs.flatMap((e) => [...e.matchAll(/\b(meridian_stage_\w+|http_\w+|process_\w+)/g)].map((m) => m[1]!)));
    expect([...names].filter((n) => n.startsWith('meridian_stage_')).length).toBeGreaterThan(3);
    for (const n of names) expect(exported, `${n} is not exported`).toContain(n);

    // promtool parses every expression as a recording rule (JSON is YAML).
    const rules = {
      groups: [{ name: 'dashboard', rules: exprs.map((e, i) => ({ record: `dashboard:expr_${i}`, expr: interpolate(e) })) }],
    };
    const path = join(dir, file.replace('.json', '.rules.yml'));
    writeFileSync(path, JSON.stringify(rules));
    const out = execFileSync('promtool', ['check', 'rules', path], { encoding: 'utf8' });
    expect(out).toContain(`${exprs.length} rules found`);
  });
});
