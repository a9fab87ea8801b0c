// Real Prometheus scraping real sample backends after real traffic with a known error rate:
// the readings match what the backends did, and no traffic reads as unavailable, never as 0 %.
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionContext } from '../../domain/ports.js';
import { createPrometheusProvider, prometheusMetricsSchema as metricsConfigSchema } from '../../activities/metrics-prometheus.js';
import { countsBetween } from '../../domain/counters.js';
import type { SampleService } from '../../lab/sample-service.js';
import { promValue as prometheusValue } from '../helpers/prometheus.js';
import { Lab, sendRequests, waitUntil } from '../helpers/services.js';
import { failure } from '../helpers/failure.js';
import { prometheusActivities } from '../helpers/vendor-activities.js';
import { freePort } from '../../lab/processes.js';

const ctx = (region: string): RegionContext => ({ correlationId: 'rollout-api', service: 'api', region, dryRun: false });
const REQUESTS = 400;
const GREEN_ERROR_PCT = 10;
const GREEN_LATENCY_MS = 100;
const BLUE_LATENCY_MS = 20;

let lab: Lab;
let blue: SampleService;
let green: SampleService;
let promUrl: string;
/** Before the first request. */
let periodStart: number;

const promValue = (query: string) => prometheusValue(promUrl, query);

/**
 * ca-central: another service's own names (api_calls_total by `status`, api_latency_seconds), and a
 * histogram exported without its +Inf bucket (broken_seconds), as a hand-written exporter might.
 */
const EXPORTED = `api_calls_total{colour="blue",status="200"} 8
api_calls_total{colour="blue",status="503"} 2
api_latency_seconds_bucket{colour="blue",le="0.25"} 7
api_latency_seconds_bucket{colour="blue",le="+Inf"} 10
broken_seconds_bucket{colour="blue",le="0.1"} 4
broken_seconds_bucket{colour="blue",le="0.5"} 9
`;
const exporter = createHttpServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(EXPORTED));

const reader = (overrides: Record<string, unknown> = {}) =>
  prometheusActivities(metricsConfigSchema.parse({ prometheusUrl: promUrl, window: '20s', ...overrides }));

beforeAll(async () => {
  lab = await Lab.create('prometheus', ['prometheus']);
  blue = await lab.sample({ colour: 'blue', version: 'v1.0.0', latencyMs: BLUE_LATENCY_MS });
  green = await lab.sample({ colour: 'green', version: 'v1.1.0', errorRatePct: GREEN_ERROR_PCT, latencyMs: GREEN_LATENCY_MS });
  // Scraped, but never sent any traffic.
  const idle = await lab.sample({ colour: 'blue', version: 'v0.9.0' });
  await new Promise<void>((resolve) => exporter.listen(0, '127.0.0.1', resolve));
  const exported = { address: `127.0.0.1:${(exporter.address() as AddressInfo).port}` };
  const target = (s: { address: string }, region: string) => ({ address: s.address, labels: { region } });
  const prom = await lab.prometheus([
    target(blue, 'us-east'),
    target(green, 'us-east'),
    target(idle, 'eu-west'),
    target(exported, 'ca-central'),
  ]);
  promUrl = prom.url;

  // The zero-valued series must be scraped before traffic starts, so rate() sees every request.
  await waitUntil(
    'two scrapes of all four targets',
    async () => (await promValue('min(count_over_time(up[1m])) >= 2 and count(up == 1) == 4')) !== undefined,
  );
  periodStart = Date.now();
  await Promise.all([sendRequests(`${green.url}/api/orders`, REQUESTS, 20), sendRequests(`${blue.url}/api/orders`, REQUESTS, 20)]);
  expect(green.served()).toBe(REQUESTS);
  for (const colour of ['blue', 'green']) {
    const scraped = () => promValue(`sum(http_requests_total{region="us-east",colour="${colour}"})`);
    await waitUntil(`Prometheus to scrape ${colour}'s ${REQUESTS} requests`, async () => (await scraped()) === REQUESTS);
  }
});

afterAll(async () => {
  exporter.closeAllConnections();
  exporter.close();
  await lab?.stop();
});

/**
 * The latency histogram as the service itself recorded it (cumulative counts by upper bound, s,
 * summed over the series' other labels): the truth Prometheus' figures are checked against. On a
 * busy machine the service's answers take longer than its configured delay.
 */
async function histogramOf(service: SampleService): Promise<{ le: number; count: number }[]> {
  const text = await (await fetch(`${service.url}/metrics`)).text();
  const byLe = new Map<number, number>();
  for (const m of text.matchAll(/^http_request_duration_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)$/gm)) {
    const le = m[1] === '+Inf' ? Infinity : Number(m[1]);
    byLe.set(le, (byLe.get(le) ?? 0) + Number(m[2]));
  }
  return [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/** The latency bucket (lower and upper bound, ms) that holds the service's own 95th percentile. */
async function p95Bucket(service: SampleService): Promise<[number, number]> {
  const buckets = await histogramOf(service);
  const total = buckets.at(-1)!.count;
  const i = buckets.findIndex((b) => b.count >= 0.95 * total);
  return [i > 0 ? buckets[i - 1]!.le * 1000 : 0, buckets[i]!.le * 1000];
}

describe('Prometheus metrics reader', () => {
  it(`reads green's error rate as ${GREEN_ERROR_PCT} % ± 1.5 % and a p95 latency near its ${GREEN_LATENCY_MS} ms`, async () => {
    const m = await reader().readMetrics(ctx('us-east'), 'green');
    expect(m.errorRatePct).toBeGreaterThanOrEqual(GREEN_ERROR_PCT - 1.5);
    expect(m.errorRatePct).toBeLessThanOrEqual(GREEN_ERROR_PCT + 1.5);
    // Every request waited ≥ 100 ms; p95 lies in the bucket where the service's own counts put it.
    expect(m.latencyP95Ms).toBeGreaterThanOrEqual(GREEN_LATENCY_MS);
    const [low, high] = await p95Bucket(green);
    expect(m.latencyP95Ms).toBeGreaterThanOrEqual(low);
    expect(m.latencyP95Ms).toBeLessThanOrEqual(high);
    expect(m.cpuPct).toBeGreaterThanOrEqual(0);
    expect(m.memoryPct).toBeGreaterThan(0);
    expect(m.memoryPct).toBeLessThan(100);
    expect(Date.parse(m.sampledAt)).toBeGreaterThan(Date.now() - 60_000);
  });

  it('reads blue, which served without errors, as exactly 0 % errors and a lower p95', async () => {
    const metrics = reader();
    const b = await metrics.readMetrics(ctx('us-east'), 'blue');
    const g = await metrics.readMetrics(ctx('us-east'), 'green');
    expect(b.errorRatePct).toBe(0);
    expect(b.latencyP95Ms).toBeGreaterThanOrEqual(BLUE_LATENCY_MS);
    expect(b.latencyP95Ms).toBeLessThan(g.latencyP95Ms);
  });

  it('samples raw counters per instance: between a sample before the traffic and one after, exactly what each service served', async () => {
    const provider = createPrometheusProvider(metricsConfigSchema.parse({ prometheusUrl: promUrl }));
    const LIMIT_MS = 80; // counted from the 75 ms bucket: green (≥ 100 ms) is slow, blue (20 ms) is not
    const now = new Date();
    for (const service of [green, blue]) {
      const histogram = await histogramOf(service);
      const before = await provider.sample(ctx('us-east'), service.colour, LIMIT_MS, new Date(periodStart));
      const after = await provider.sample(ctx('us-east'), service.colour, LIMIT_MS, now);
      expect(Object.keys(after.instances)).toEqual([service.address]);
      expect(countsBetween(before, after)).toEqual({
        requests: REQUESTS,
        errors: service === green ? (REQUESTS * GREEN_ERROR_PCT) / 100 : 0,
        // The +Inf bucket minus the 75 ms one, as the service itself recorded them.
        slow: histogram.at(-1)!.count - histogram.find((b) => b.le === 0.075)!.count,
      });
    }
    expect((await histogramOf(green)).find((b) => b.le === 0.075)!.count).toBeLessThan(REQUESTS / 10);
  });

  it('samples at evenly spaced instants in one range read per counter, each instant as an instant sample there reads', async () => {
    const provider = createPrometheusProvider(metricsConfigSchema.parse({ prometheusUrl: promUrl }));
    const LIMIT_MS = 80;
    // From 10 minutes before the traffic (before this file started Prometheus: no series) to just past now.
    const from = new Date(periodStart - 10 * 60_000);
    const stepMs = 5_000;
    const count = Math.ceil((Date.now() - from.getTime()) / stepMs) + 1;
    for (const service of [green, blue]) {
      const every = await provider.sampleEvery(ctx('us-east'), service.colour, LIMIT_MS, from, stepMs, count);
      const one = await Promise.all(
        Array.from({ length: count }, (_, k) =>
          provider.sample(ctx('us-east'), service.colour, LIMIT_MS, new Date(from.getTime() + k * stepMs)),
        ),
      );
      expect(every).toEqual(one);
      // The range spans no series, then all of the traffic, as the service counted it.
      expect(every[0]).toEqual({ instances: {} });
      expect(countsBetween(every[0], every.at(-1)!)).toMatchObject({
        requests: REQUESTS,
        errors: service === green ? (REQUESTS * GREEN_ERROR_PCT) / 100 : 0,
      });
    }
  });

  it('a colour scraped but without traffic is MetricsUnavailable (retryable), not 0 %', async () => {
    const err = await failure(reader().readMetrics(ctx('eu-west'), 'blue'));
    expect(err.type).toBe('MetricsUnavailable');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toMatch(/error rate of blue in eu-west/);
  });

  it('for the sequential judge, the same idle colour reads as no traffic: CPU and memory, no error rate or p95', async () => {
    const provider = createPrometheusProvider(metricsConfigSchema.parse({ prometheusUrl: promUrl, window: '20s' }));
    const r = await provider.readWindow(ctx('eu-west'), 'blue');
    expect(r).not.toHaveProperty('errorRatePct');
    expect(r).not.toHaveProperty('latencyP95Ms');
    expect(r.cpuPct).toBeGreaterThanOrEqual(0);
    expect(r.memoryPct).toBeGreaterThan(0);
    // With traffic in the window it reads as read() does.
    expect((await provider.readWindow(ctx('us-east'), 'blue')).errorRatePct).toBe(0);
  });

  it('a colour with no series at all is MetricsUnavailable naming the metric', async () => {
    const err = await failure(reader().readMetrics(ctx('eu-west'), 'green'));
    expect(err.type).toBe('MetricsUnavailable');
    expect(err.message).toMatch(/no data for error rate of green in eu-west/);
  });

  it('configured templates fill in {region} and {window}, and CPU and memory can be switched off', async () => {
    const m = await reader({
      queries: {
        errorRatePct: 'count(up{region="{region}"})',
        latencyP95Ms: 'count(count_over_time(up{region="{region}"}[{window}]))',
        cpuPct: false,
        memoryPct: false,
      },
    }).readMetrics(ctx('us-east'), 'green');
    expect(m.errorRatePct).toBe(2); // two us-east targets
    expect(m.latencyP95Ms).toBe(2);
    expect(m).not.toHaveProperty('cpuPct');
    expect(m).not.toHaveProperty('memoryPct');
  });

  it('PromQL that Prometheus rejects is a non-retryable configuration error', async () => {
    const err = await failure(
      reader({ queries: { latencyP95Ms: 'sum(rate(http_requests_total[{window}]' } }).readMetrics(ctx('us-east'), 'green'),
    );
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toMatch(/p95 latency/);
  });

  it('a query returning several series is a configuration error, not a guess', async () => {
    const err = await failure(reader({ queries: { errorRatePct: 'up' } }).readMetrics(ctx('us-east'), 'green'));
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toMatch(/returns 4 series/);
  });

  const provider = (counts: Record<string, unknown> = {}) =>
    createPrometheusProvider(metricsConfigSchema.parse({ prometheusUrl: promUrl, counts }));

  it("checkMetrics passes the sample service's histogram at the lab's stage limits", async () => {
    await expect(provider().check(ctx('us-east'), [300, 350, 500])).resolves.toBeUndefined();
  });

  it('checkMetrics refuses a limit below every bucket, naming the field', async () => {
    const err = await failure(provider().check(ctx('us-east'), [300, 4]));
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toMatch(
      /regions\.us-east\.metrics\.counts\.latencyHistogram\) has no bucket at or below the 4 ms latency limit \(its lowest is 5 ms\)/,
    );
  });

  it('checkMetrics refuses a histogram without +Inf, naming the field', async () => {
    const err = await failure(
      provider({ requests: 'api_calls_total', latencyHistogram: 'broken_seconds' }).check(ctx('ca-central'), [300]),
    );
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toBe(
      'the latency histogram broken_seconds of blue in ca-central (regions.ca-central.metrics.counts.latencyHistogram) ' +
        'has no le="+Inf" bucket: slow requests cannot be counted',
    );
  });

  it('checkMetrics refuses a request counter with no series for either colour, naming the fields', async () => {
    const err = await failure(provider({ requests: 'http_request_total' }).check(ctx('us-east'), [300]));
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toMatch(
      new RegExp(
        String.raw`^no series of http_request_total\{region="\{region\}",colour="\{colour\}"\} for blue or green in us-east: ` +
          String.raw`check regions\.us-east\.metrics\.counts\.requests and regions\.us-east\.metrics\.counts\.selector`,
      ),
    );
  });

  it("another service's names, 5xx label and histogram are counted as configured", async () => {
    const named = provider({ requests: 'api_calls_total', errors: 'status=~"5.."', latencyHistogram: 'api_latency_seconds' });
    await expect(named.check(ctx('ca-central'), [300])).resolves.toBeUndefined();
    const sample = await named.sample(ctx('ca-central'), 'blue', 300, new Date());
    expect(Object.values(sample.instances)).toEqual([{ requests: 10, errors: 2, slow: 3 }]);
  });

  it('the counts section is checked for shape when the config is parsed, each problem at its field', () => {
    const res = metricsConfigSchema.safeParse({
      prometheusUrl: 'http://prom:9090',
      counts: {
        requests: 'http-requests',
        selector: 'region="{region}"',
        errors: 'code=5xx',
        latencyHistogram: 'latency seconds',
        instanceLabel: 'pod-name',
      },
      queries: { errorRatePct: 'sum(rate(x{colour="{color}"}[{window}]))' },
    });
    expect(res.success).toBe(false);
    const byPath = Object.fromEntries(res.error!.issues.map((i) => [i.path.join('.'), i.message]));
    expect(Object.keys(byPath).sort()).toEqual([
      'counts.errors',
      'counts.instanceLabel',
      'counts.latencyHistogram',
      'counts.requests',
      'counts.selector',
      'queries.errorRatePct',
    ]);
    expect(byPath['counts.selector']).toMatch(/must use \{colour\}/);
    expect(byPath['queries.errorRatePct']).toMatch(/unknown placeholder \{color\}/);
    // A regex quantifier is no placeholder.
    expect(metricsConfigSchema.parse({ prometheusUrl: 'http://prom:9090', counts: { errors: 'code=~"5[0-9]{2}"' } }).counts.errors).toBe(
      'code=~"5[0-9]{2}"',
    );
    expect(metricsConfigSchema.parse({ prometheusUrl: 'http://prom:9090' }).counts).toEqual({
      requests: 'http_requests_total',
      selector: 'region="{region}",colour="{colour}"',
      errors: 'code=~"5.."',
      latencyHistogram: 'http_request_duration_seconds',
      instanceLabel: 'instance',
    });
  });

  const offline = (prometheusUrl: string, timeoutMs = 2_000) =>
    prometheusActivities(metricsConfigSchema.parse({ prometheusUrl, window: '10s', timeoutMs }));

  it('a Prometheus refusing connections is MetricsUnavailable (retryable) naming the socket error, not the token', async () => {
    const port = await freePort();
    const err = await failure(offline(`http://127.0.0.1:${port}/?token=s3cret-prom-token`).readMetrics(ctx('us-east'), 'green'));
    expect(err).toMatchObject({ type: 'MetricsUnavailable', nonRetryable: false });
    expect(err.message).toBe(
      `Prometheus unreachable reading error rate of green in us-east over 10s: connect ECONNREFUSED 127.0.0.1:${port}`,
    );
  });

  it('a Prometheus that never answers is MetricsUnavailable naming the timeout', async () => {
    const held: Socket[] = [];
    const silent = createServer((socket) => void held.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const err = await failure(offline(`http://127.0.0.1:${port}`, 300).readMetrics(ctx('us-east'), 'green'));
      expect(err).toMatchObject({ type: 'MetricsUnavailable', nonRetryable: false });
      expect(err.message).toBe('Prometheus unreachable reading error rate of green in us-east over 10s: timed out after 300 ms');
      expect(held.length).toBeGreaterThan(0);
    } finally {
      for (const socket of held) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('credentials in the Prometheus URL never reach the message', async () => {
    const err = await failure(
      offline(`http://reader:s3cret-prom-pass@127.0.0.1:${await freePort()}/`).readMetrics(ctx('us-east'), 'green'),
    );
    expect(err.type).toBe('MetricsUnavailable');
    expect(err.message).toMatch(/^Prometheus unreachable reading error rate of green in us-east over 10s: .*\[redacted\]/);
    expect(err.message).not.toContain('s3cret-prom-pass');
  });

  it('the schema defaults the window to 1m and names a bad field', () => {
    expect(metricsConfigSchema.parse({ prometheusUrl: 'http://prom:9090' }).window).toBe('1m');
    const res = metricsConfigSchema.safeParse({ prometheusUrl: 'not a url', window: 'soon' });
    expect(res.success).toBe(false);
    expect(res.error!.issues.map((i) => i.path.join('.'))).toEqual(expect.arrayContaining(['prometheusUrl', 'window']));
  });
});
