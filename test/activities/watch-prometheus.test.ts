// The watch activity end to end on a real Prometheus scraping real sample services under steady
// load: a release slower than the stage's latency limit is a latency breach at that stage, with
// the counts in the cause; the same release under a higher limit is healthy.
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusProvider, metricsConfigSchema } from '../../activities/metrics-prometheus.js';
import { createWatchActivities } from '../../activities/watch.js';
import { DEFAULT_JUDGE_CONFIG, startJudge, startPeriod } from '../../domain/judge.js';
import type { Thresholds } from '../../domain/metrics.js';
import type { WatchRequest, WatchResult } from '../../domain/watch.js';
import { startLoad, type Load } from '../../lab/load.js';
import { promValue as prometheusValue } from '../helpers/prometheus.js';
import { Lab, waitUntil } from '../helpers/services.js';

const GREEN_LATENCY_MS = 370;

let lab: Lab;
let load: Load;
let promUrl: string;

const promValue = (query: string) => prometheusValue(promUrl, query);

beforeAll(async () => {
  lab = await Lab.create('watch', ['prometheus']);
  const blue = await lab.sample({ colour: 'blue', version: 'v1.0.0', latencyMs: 20 });
  const green = await lab.sample({ colour: 'green', version: 'v1.1.0', latencyMs: GREEN_LATENCY_MS });
  promUrl = (await lab.prometheus([blue, green].map((s) => ({ address: s.address, labels: { region: 'us-east' } })))).url;
  load = startLoad({ blue: blue.url, green: green.url }, { ratePerSecond: 10 });
  // The rate-window reading needs traffic in its window.
  await waitUntil('both colours scraped with traffic', async () => (await promValue('count(rate(http_requests_total{region="us-east"}[1m]) > 0) == 2')) !== undefined);
});

afterAll(async () => {
  await load?.stop();
  await lab?.stop();
});

/** One canary period of `seconds` at 75 % with the stage's limits, starting now. */
function period(thresholds: Thresholds, seconds: number, minRequests = DEFAULT_JUDGE_CONFIG.minRequests): WatchRequest {
  const phase = 'canary 75%';
  const now = Date.now();
  return {
    ctx: { correlationId: 'rollout-api', service: 'api', region: 'us-east', dryRun: false },
    version: 'v1.1.0',
    colour: 'green',
    baseline: 'blue',
    phase,
    stage: { label: phase, weightPct: 75 },
    thresholds,
    startedAt: new Date(now).toISOString(),
    endsAt: new Date(now + seconds * 1000).toISOString(),
    pollSeconds: 1,
    reportSeconds: 3600,
    hold: false,
    judge: { config: { ...DEFAULT_JUDGE_CONFIG, minRequests }, state: startPeriod(startJudge(6), { phase, thresholds }) },
  };
}

const watch = (req: WatchRequest): Promise<WatchResult> => {
  const provider = createPrometheusProvider(metricsConfigSchema.parse({ prometheusUrl: promUrl, scrapeIntervalSeconds: 1 }), {});
  return new MockActivityEnvironment().run(createWatchActivities({ provider: () => provider }).watchPeriod, req) as Promise<WatchResult>;
};

describe('watchPeriod on a real Prometheus', () => {
  it(`a release answering in ${GREEN_LATENCY_MS} ms breaches the 350 ms limit at that stage, its slow requests in the cause`, async () => {
    const result = await watch(period({ maxErrorRatePct: 1, maxLatencyMs: 350, comparison: 'atMost' }, 60));
    expect(result.verdict).toBe('breach');
    expect(result.breach).toMatchObject({ metric: 'latency', phase: 'canary 75%' });
    const m = /^latency (?:above the limit|regression) at canary 75%: green ([\d,]+) slow \(> 350 ms\) \/ ([\d,]+) vs blue ([\d,]+) \/ ([\d,]+)/.exec(result.breach!.cause);
    expect(m, result.breach!.cause).not.toBeNull();
    const [greenSlow, greenRequests, , blueRequests] = m!.slice(1).map((x) => Number(x.replaceAll(',', '')));
    // Every green request took longer than the 300 ms bucket the 350 ms limit is counted from.
    expect(greenSlow).toBeGreaterThan(0);
    expect(greenSlow).toBe(greenRequests);
    expect(blueRequests).toBeGreaterThan(0);
  });

  it('the same release under a 500 ms limit is healthy at the end of its period', async () => {
    const result = await watch(period({ maxErrorRatePct: 1, maxLatencyMs: 500, comparison: 'atMost' }, 6, 20));
    expect(result.verdict).toBe('healthy');
    expect(result.evidence?.green?.requests).toBeGreaterThanOrEqual(20);
    expect(result.evidence?.green?.slow ?? 0).toBe(0);
  });
});
