// The watch activity end to end on a real Prometheus scraping real services: a release slower than
// the stage's latency limit is a latency breach at that stage, with the counts in the cause (us-east,
// under steady load); the counts the judge gets are exactly what the services served, across a
// restart (eu-west) and with a 5xx series created by its first error (ap-southeast).
import { createServer } from 'node:http';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Counter, Histogram, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPrometheusProvider, prometheusMetricsSchema } from '../../activities/metrics-prometheus.js';
import { createWatchActivities } from '../../activities/watch.js';
import { DEFAULT_JUDGE_CONFIG } from '../../domain/judge-defaults.js';
import { startJudge, startPeriod } from '../../domain/judge.js';
import type { Thresholds } from '../../domain/metrics.js';
import type { WatchProgress, WatchRequest, WatchResult } from '../../domain/watch.js';
import { startLoad, type Load } from '../../lab/load.js';
import type { HaproxyLab } from '../../lab/daemons.js';
import { LATENCY_BUCKETS, type SampleService } from '../../lab/sample-service.js';
import { promValue as prometheusValue } from '../helpers/prometheus.js';
import { Lab, sendRequests, waitUntil } from '../helpers/services.js';

const GREEN_LATENCY_MS = 370;

let lab: Lab;
let load: Load;
let promUrl: string;
let restarted: { blue: SampleService; green: SampleService };
let lazy: LazyService;
let lazyBlue: SampleService;
/** Scraped, never sent a request. */
let idle: { blue: SampleService; green: SampleService };
/** eu-central: both colours behind a real HAProxy whose exporter Prometheus scrapes. */
let balanced: { blue: SampleService; green: SampleService };
let haproxy: HaproxyLab;

const promValue = (query: string) => prometheusValue(promUrl, query);

interface LazyService {
  address: string;
  url: string;
  stop(): Promise<void>;
}

/** A service whose series appear with their first event, as most instrumentation's do: no 5xx series before its first 5xx. */
async function startLazyService(): Promise<LazyService> {
  const registry = new Registry();
  registry.setDefaultLabels({ colour: 'green' });
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'requests by status code',
    labelNames: ['code'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'request duration',
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const server = createServer((req, res) => {
    if (req.url === '/metrics')
      return void registry.metrics().then((text) => res.writeHead(200, { 'Content-Type': registry.contentType }).end(text));
    const timer = duration.startTimer();
    const code = req.url === '/fail' ? 500 : 200;
    requests.inc({ code: String(code) });
    timer();
    res.writeHead(code, { 'X-Colour': 'green' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}

const requestsOf = (region: string, colour: string, code = '.*') =>
  promValue(`sum(http_requests_total{region="${region}",colour="${colour}",code=~"${code}"})`);

/** Until Prometheus has scraped what the colour served: `requests` in all, `errors` of them 5xx. */
async function scraped(region: string, colour: string, requests: number, errors?: number): Promise<void> {
  await waitUntil(`${colour} in ${region} scraped at ${requests} requests`, async () => (await requestsOf(region, colour)) === requests);
  if (errors !== undefined)
    await waitUntil(
      `${colour} in ${region} scraped at ${errors} 5xx`,
      async () => ((await requestsOf(region, colour, '5..')) ?? 0) === errors,
    );
}

beforeAll(async () => {
  lab = await Lab.create('watch', ['prometheus', 'haproxy']);
  const blue = await lab.sample({ colour: 'blue', version: 'v1.0.0', latencyMs: 20 });
  const green = await lab.sample({ colour: 'green', version: 'v1.1.0', latencyMs: GREEN_LATENCY_MS });
  // Both colours fail every tenth request: equal, so the judge sees no regression while counting.
  restarted = {
    blue: await lab.sample({ colour: 'blue', version: 'v1.0.0', errorRatePct: 10 }),
    green: await lab.sample({ colour: 'green', version: 'v1.1.0', errorRatePct: 10 }),
  };
  lazy = await startLazyService();
  lazyBlue = await lab.sample({ colour: 'blue', version: 'v1.0.0' });
  idle = { blue: await lab.sample({ colour: 'blue', version: 'v1.0.0' }), green: await lab.sample({ colour: 'green', version: 'v1.1.0' }) };
  balanced = await lab.colours({ blue: 'v1.0.0', green: 'v1.1.0' });
  haproxy = await lab.haproxy(balanced, { blue: 50, green: 50 });
  const targets = (region: string, ...services: { address: string }[]) => services.map((s) => ({ address: s.address, labels: { region } }));
  promUrl = (
    await lab.prometheus([
      ...targets('us-east', blue, green),
      ...targets('eu-west', restarted.blue, restarted.green),
      ...targets('ap-southeast', lazy, lazyBlue),
      ...targets('sa-east', idle.blue, idle.green),
      // af-south: blue only, green not scraped at all.
      ...targets('af-south', idle.blue),
      ...targets('eu-central', balanced.blue, balanced.green),
      { address: haproxy.metricsAddress, labels: { region: 'eu-central' }, job: 'haproxy' },
    ])
  ).url;
  load = startLoad({ blue: blue.url, green: green.url }, { ratePerSecond: 10 });
  // The rate-window reading needs traffic in its window.
  await waitUntil(
    'both colours scraped with traffic',
    async () => (await promValue('count(rate(http_requests_total{region="us-east"}[1m]) > 0) == 2')) !== undefined,
  );
});

afterAll(async () => {
  await load?.stop();
  await lazy?.stop();
  await lab?.stop();
});

/** One canary period of `seconds` at 75 % with the stage's limits, starting `now`. */
function period(
  thresholds: Thresholds,
  seconds: number,
  minRequests = DEFAULT_JUDGE_CONFIG.minRequests,
  region = 'us-east',
  now = Date.now(),
): WatchRequest {
  const phase = 'canary 75%';
  return {
    ctx: { correlationId: 'rollout-api', service: 'api', region, dryRun: false },
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

/** A running watch: its result, and its progress as heartbeated once `n` more polls are made. */
function startWatch(req: WatchRequest, config: Record<string, unknown> = {}, onHeartbeat?: (p: WatchProgress) => void) {
  const provider = createPrometheusProvider(prometheusMetricsSchema.parse({ prometheusUrl: promUrl, scrapeIntervalSeconds: 1, ...config }));
  const env = new MockActivityEnvironment();
  let progress: WatchProgress | undefined;
  const heard = new Set<() => void>();
  env.on('heartbeat', (details: WatchProgress) => {
    progress = details;
    onHeartbeat?.(details);
    for (const check of heard) check();
  });
  const result = env.run(createWatchActivities({ provider: () => provider }).watchPeriod, req) as Promise<WatchResult>;
  const afterPolls = (n: number) =>
    new Promise<WatchProgress>((resolve, reject) => {
      const target = (progress?.polls ?? 0) + n;
      const check = () => progress && progress.polls >= target && (heard.delete(check), resolve(progress));
      heard.add(check);
      result.then(() => reject(new Error('the watch ended first')), reject);
    });
  return { result, afterPolls, cancel: () => env.cancel() };
}

const watch = (req: WatchRequest): Promise<WatchResult> => startWatch(req).result;

describe('watchPeriod on a real Prometheus', () => {
  it(`a release answering in ${GREEN_LATENCY_MS} ms breaches the 350 ms limit at that stage, its slow requests in the cause`, async () => {
    const result = await watch(period({ maxErrorRatePct: 1, maxLatencyMs: 350, comparison: 'atMost' }, 60));
    expect(result.verdict).toBe('breach');
    expect(result.breach).toMatchObject({ metric: 'latency', phase: 'canary 75%' });
    const m = new RegExp(
      String.raw`^latency (?:above the limit|regression) at canary 75%: ` +
        String.raw`green ([\d,]+) slow \(> 350 ms\) \/ ([\d,]+) vs blue ([\d,]+) \/ ([\d,]+)`,
    ).exec(result.breach!.cause);
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
    // p95 ≤ 500 ms: at most 5 % slow. A loaded machine may push a 370 ms answer past 500 ms now and then.
    expect(result.evidence?.green?.slow ?? 0).toBeLessThanOrEqual(0.05 * result.evidence!.green!.requests);
  });
});

describe('exact counts from raw counters, on a real Prometheus', () => {
  const limits: Thresholds = { maxErrorRatePct: 50, maxLatencyMs: 350, comparison: 'atMost' };
  // Polls after Prometheus has the figures: the first may have sampled just before.
  const POLLS = 2;

  it('a restart mid-period (a counter reset) loses nothing and counts nothing twice; traffic before the first poll counts', async () => {
    const { blue, green } = restarted;
    await scraped('eu-west', 'green', 0);
    const startedAt = Date.now();
    const first = { green: await sendRequests(green.url, 200), blue: await sendRequests(blue.url, 100) };
    await scraped('eu-west', 'green', 200);
    await scraped('eu-west', 'blue', 100);
    const w = startWatch(period(limits, 120, undefined, 'eu-west', startedAt));
    const before = await w.afterPolls(POLLS);
    expect(before.counts).toEqual({
      green: { requests: 200, errors: first.green.failed, slow: 0 },
      blue: { requests: 100, errors: first.blue.failed, slow: 0 },
    });
    expect(first.green.failed).toBe(20);

    green.restart('v1.1.1'); // a new release: every series starts again from 0, under new labels
    const second = await sendRequests(green.url, 50);
    await scraped('eu-west', 'green', 50);
    const after = await w.afterPolls(POLLS);
    expect(after.failedPolls).toBe(0);
    expect(after.counts).toEqual({
      green: { requests: 250, errors: first.green.failed + second.failed, slow: 0 },
      blue: before.counts!.blue,
    });
    expect(second.failed).toBe(5);
    w.cancel();
    await expect(w.result).rejects.toThrow();
  });

  it("a 5xx series created by its first error counts that error; a colour without series at the period's start counts from 0", async () => {
    const startedAt = Date.now();
    expect(await requestsOf('ap-southeast', 'green')).toBeUndefined(); // no series yet
    // Two scraped steps: the rate-window reading needs its series to rise after it appeared.
    for (const total of [15, 30]) {
      await Promise.all([sendRequests(lazy.url, 15), sendRequests(lazyBlue.url, 15)]);
      await scraped('ap-southeast', 'green', total);
      await scraped('ap-southeast', 'blue', total);
    }
    // The stand-in exports no CPU or memory figures.
    const w = startWatch(period(limits, 120, undefined, 'ap-southeast', startedAt), { queries: { cpuPct: false, memoryPct: false } });
    expect((await w.afterPolls(POLLS)).counts?.green).toEqual({ requests: 30, errors: 0, slow: 0 });

    const failed = await sendRequests(`${lazy.url}/fail`, 1);
    await sendRequests(lazy.url, 9);
    expect(failed.failed).toBe(1);
    await scraped('ap-southeast', 'green', 40, 1);
    const after = await w.afterPolls(POLLS);
    expect(after.counts).toEqual({ green: { requests: 40, errors: 1, slow: 0 }, blue: { requests: 30, errors: 0, slow: 0 } });
    w.cancel();
    await expect(w.result).rejects.toThrow();
  });
});

describe('thin traffic, on a real Prometheus', () => {
  const limits: Thresholds = { maxErrorRatePct: 1, maxLatencyMs: 350, comparison: 'atMost' };

  it('colours with series but no request in the window poll without a failed read: too little evidence, not missing metrics', async () => {
    await scraped('sa-east', 'green', 0);
    const heartbeats: WatchProgress[] = [];
    const w = startWatch(period(limits, 3, undefined, 'sa-east'), { window: '5s' }, (p) => heartbeats.push(p));
    const result = await w.result;
    expect(result.verdict).toBe('inconclusive');
    expect(result.note).toMatch(/served 0 requests/);
    expect(result.polls).toBeGreaterThanOrEqual(5); // 3 s planned, extended to 6 s
    expect(heartbeats.map((p) => p.failedPolls)).toEqual(heartbeats.map(() => 0));
    expect(result.last).toBeUndefined(); // nothing to show: no reading with traffic
  });

  it('a colour without any series (not scraped) is a failed read: three in a row are a metrics-unavailable breach', async () => {
    const result = await startWatch(period(limits, 60, undefined, 'af-south'), { queries: { cpuPct: false, memoryPct: false } }).result;
    expect(result.verdict).toBe('breach');
    expect(result.breach).toMatchObject({ metric: 'metrics_unavailable', phase: 'canary 75%' });
    expect(result.breach!.cause).toMatch(/no request counter series for green in af-south/);
    expect(result.polls).toBe(3);
  });
});

describe('a dying candidate, through a real HAProxy', () => {
  it('a candidate instance that dies under 240 rpm is a breach within 10 s: the balancer has its server down', async () => {
    const through = startLoad({ 'eu-central': haproxy.url }, { ratePerSecond: 4 });
    try {
      const sessions = (server: string) => promValue(`haproxy_server_sessions_total{region="eu-central",server="${server}"}`);
      await waitUntil(
        'both servers to take requests, scraped',
        async () => ((await sessions('blue')) ?? 0) >= 4 && ((await sessions('green')) ?? 0) >= 4,
      );
      const balancer = { backend: haproxy.backend, servers: { blue: { pattern: 'blue(-.+)?' }, green: { pattern: 'green(-.+)?' } } };
      const w = startWatch(period({ maxErrorRatePct: 1, maxLatencyMs: 350, comparison: 'atMost' }, 120, undefined, 'eu-central'), {
        balancer,
      });
      const alive = await w.afterPolls(2);
      expect(alive.verdict?.status).not.toBe('breach');
      expect(alive.judgeState.serversUp).toEqual([`green@${haproxy.metricsAddress}`]);

      const diedAt = Date.now();
      await balanced.green.stop();
      const result = await w.result;
      expect(Date.now() - diedAt).toBeLessThanOrEqual(10_000);
      expect(result.verdict).toBe('breach');
      expect(result.breach!.metric, result.breach!.cause).not.toBe('metrics_unavailable');
      expect(result.breach!.cause).toContain(`green@${haproxy.metricsAddress} down`);
    } finally {
      await through.stop();
    }
  });
});
