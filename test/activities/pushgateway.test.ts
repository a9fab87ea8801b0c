// Real Pushgateway: stage figures land in the group (job, service, region, version) with the right values.
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionContext, StageReport } from '../../domain/ports.js';
import { createPushgatewayActivities, pushgatewayConfigSchema } from '../../activities/pushgateway.js';
import { Lab } from '../helpers/services.js';
import { capturingLogger } from '../helpers/secrets.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

let lab: Lab;
let url: string;

const ctx = (region: string, dryRun = false): RegionContext => ({ correlationId: 'rollout-api', service: 'api', region, dryRun });
const cfg = pushgatewayConfigSchema.parse(undefined);

beforeAll(async () => {
  lab = await Lab.create('pushgateway', ['prometheus-pushgateway']);
  url = (await lab.pushgateway()).url;
});

afterAll(async () => lab?.stop());

/** The Pushgateway's own exposition, parsed. */
async function scrape(): Promise<Sample[]> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^(meridian_\w+)\{(.*)\} (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of m[2]!.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

const find = (samples: Sample[], name: string, labels: Record<string, string>) =>
  samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

const canary25: StageReport = {
  version: 'v1.12.3',
  stage: 'canary 25%',
  weightPct: 25,
  outcome: 'passed',
  metrics: { errorRatePct: 0.4, latencyP95Ms: 212, cpuPct: 31.5, memoryPct: 48.25, sampledAt: new Date().toISOString() },
  evidence: { test: 'error_rate_sequential', statistic: 12.5, bound: 250 },
};

describe('Pushgateway stage metrics', () => {
  it('pushes the stage grouped by job, service, region and version', async () => {
    const acts = createPushgatewayActivities(cfg, { PROMETHEUS_PUSHGATEWAY_URL: url });
    await new MockActivityEnvironment().run(acts.pushStageMetrics, ctx('us-east'), canary25);

    const samples = await scrape();
    const group = { job: 'meridian', service: 'api', region: 'us-east', version: 'v1.12.3', stage: 'canary 25%' };
    const value = (name: string, extra: Record<string, string> = {}) => {
      const found = find(samples, name, { ...group, ...extra });
      expect(found, name).toHaveLength(1);
      return found[0]!.value;
    };
    expect(value('meridian_stage_weight_pct')).toBe(25);
    expect(value('meridian_stage_error_rate_pct')).toBe(0.4);
    expect(value('meridian_stage_latency_p95_ms')).toBe(212);
    expect(value('meridian_stage_cpu_pct')).toBe(31.5);
    expect(value('meridian_stage_memory_pct')).toBe(48.25);
    expect(value('meridian_judge_statistic', { test: 'error_rate_sequential' })).toBe(12.5);
    expect(value('meridian_judge_bound', { test: 'error_rate_sequential' })).toBe(250);
    expect(value('meridian_stage_outcome', { outcome: 'passed' })).toBe(1);
    expect(value('meridian_stage_outcome', { outcome: 'breached' })).toBe(0);
    expect(value('meridian_stage_pushed_timestamp_seconds')).toBeGreaterThan(Date.now() / 1000 - 300);
    // Never the process's global registry.
    expect((await register.getMetricsAsJSON()).map((m) => m.name)).not.toContain('meridian_stage_weight_pct');
  });

  it("a later stage replaces the group's earlier one; other regions keep their own group", async () => {
    const acts = createPushgatewayActivities(cfg, { PROMETHEUS_PUSHGATEWAY_URL: url });
    await acts.pushStageMetrics(ctx('eu-west'), { ...canary25, stage: 'canary 10%', weightPct: 10, outcome: 'in_progress' });
    await acts.pushStageMetrics(ctx('us-east'), { version: 'v1.12.3', stage: 'canary 50%', weightPct: 50, outcome: 'breached' });

    const samples = await scrape();
    const usEast = { service: 'api', region: 'us-east', version: 'v1.12.3' };
    expect(find(samples, 'meridian_stage_weight_pct', usEast).map((s) => [s.labels.stage, s.value])).toEqual([['canary 50%', 50]]);
    expect(find(samples, 'meridian_stage_outcome', { ...usEast, outcome: 'breached' })[0]?.value).toBe(1);
    // That stage had no metrics reading, so none is pushed rather than a made-up 0.
    expect(find(samples, 'meridian_stage_error_rate_pct', usEast)).toEqual([]);
    const euWest = find(samples, 'meridian_stage_weight_pct', { service: 'api', region: 'eu-west', version: 'v1.12.3' });
    expect(euWest.map((s) => [s.labels.stage, s.value])).toEqual([['canary 10%', 10]]);
  });

  it('a dry run pushes nothing and says what it would push', async () => {
    const { logger, lines } = capturingLogger();
    const acts = createPushgatewayActivities(cfg, { PROMETHEUS_PUSHGATEWAY_URL: url });
    await new MockActivityEnvironment({}, { logger }).run(acts.pushStageMetrics, ctx('ap-southeast', true), canary25);
    expect(find(await scrape(), 'meridian_stage_weight_pct', { region: 'ap-southeast' })).toEqual([]);
    expect(lines.join('\n')).toMatch(/dry run: would push stage metrics for api v1\.12\.3 in ap-southeast/);
  });

  it('the regional URL wins over the global one', async () => {
    const acts = createPushgatewayActivities(cfg, {
      PROMETHEUS_PUSHGATEWAY_URL: 'http://127.0.0.1:1',
      PROMETHEUS_PUSHGATEWAY_URL__AP_SOUTHEAST: url,
    });
    await acts.pushStageMetrics(ctx('ap-southeast'), canary25);
    expect(find(await scrape(), 'meridian_stage_weight_pct', { region: 'ap-southeast' })).toHaveLength(1);
  });

  it('an unreachable Pushgateway is a retryable failure whose message and logs hide the URL', async () => {
    const { logger, lines } = capturingLogger();
    const secretUrl = 'http://127.0.0.1:1/secret-path';
    const acts = createPushgatewayActivities({ ...cfg, timeoutMs: 2_000 }, { PROMETHEUS_PUSHGATEWAY_URL: secretUrl });
    const err = await new MockActivityEnvironment({}, { logger }).run(acts.pushStageMetrics, ctx('us-east'), canary25).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({ type: 'PushgatewayUnavailable', nonRetryable: false });
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
    expect(lines.join('\n')).toMatch(/WARN Pushgateway push .* failed: ECONNREFUSED/);
    for (const text of [(err as Error).message, ...lines]) {
      expect(text).not.toContain('127.0.0.1:1');
      expect(text).not.toContain('secret-path');
    }
  });

  it('without a configured URL it is a no-op', async () => {
    const acts = createPushgatewayActivities(cfg, {});
    await expect(acts.pushStageMetrics(ctx('sa-east'), canary25)).resolves.toBeUndefined();
    expect(find(await scrape(), 'meridian_stage_weight_pct', { region: 'sa-east' })).toEqual([]);
  });
});
