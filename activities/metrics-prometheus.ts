// The Prometheus metrics provider: a colour's health over a rate window (instant queries), and its
// raw request, 5xx and slow-request counters per instance at an instant, for the canary judge.
// No data for a reading is never a healthy 0 %: it fails with a retryable MetricsUnavailable.
import type { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { ColourSample } from '../domain/counters.js';
import { slowFromBuckets } from '../domain/judge.js';
import type { Colour, Metrics } from '../domain/metrics.js';
import type { MetricsActivities, RegionContext } from '../domain/ports.js';
import type { WindowReading } from '../domain/watch.js';
import type { MetricsProvider } from './metrics-provider.js';
import { nonRetryable } from './errors.js';
import { balancerMetricsSchema, readBalancerServers } from './metrics-balancer-haproxy.js';
import { instantQuery, optionalQuery, queryVector, type Series } from './prometheus-query.js';
import type { Env } from './secrets.js';

type MetricKey = 'errorRatePct' | 'latencyP95Ms' | 'cpuPct' | 'memoryPct';

const SEL = 'region="{region}",colour="{colour}"';

/**
 * PromQL templates for the sample service's metrics ({region} {colour} {window} {service} are filled in).
 * `colour` is a label the service exports itself; `region` is a target label set in the scrape config.
 */
export const DEFAULT_QUERIES: Record<MetricKey, string> = {
  // `or vector(0)`: traffic without any 5xx series is 0 % errors; no traffic at all stays empty or 0/0.
  errorRatePct: `100 * (sum(rate(http_requests_total{${SEL},code=~"5.."}[{window}])) or vector(0)) / sum(rate(http_requests_total{${SEL}}[{window}]))`,
  latencyP95Ms: `1000 * histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{${SEL}}[{window}])))`,
  cpuPct: `100 * avg(rate(process_cpu_seconds_total{${SEL}}[{window}]))`,
  memoryPct: `100 * sum(process_resident_memory_bytes{${SEL}}) / sum(host_memory_total_bytes{${SEL}})`,
};

/**
 * Raw cumulative counters per scrape target, for exact counts between two samples (domain/counters.ts).
 * A sum over an instance's series (status codes, versions) drops when a restart resets them, which
 * countsBetween reads as a reset.
 */
export const SAMPLE_QUERIES = {
  requests: `sum by (instance) (http_requests_total{${SEL}})`,
  errors: `sum by (instance) (http_requests_total{${SEL},code=~"5.."})`,
  buckets: `sum by (instance, le) (http_request_duration_seconds_bucket{${SEL}})`,
};

const LABELS: Record<MetricKey, string> = {
  errorRatePct: 'error rate',
  latencyP95Ms: 'p95 latency',
  cpuPct: 'CPU',
  memoryPct: 'memory',
};

const promDuration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a Prometheus duration such as 30s or 1m');

export const metricsConfigSchema = z.object({
  /** Prometheus base URL (the region's monitoring endpoint). */
  prometheusUrl: z.url(),
  /** Rate window: how far back each reading looks. */
  window: promDuration.default('1m'),
  /** PromQL templates overriding DEFAULT_QUERIES; `false` skips the optional CPU or memory gate. */
  queries: z
    .object({
      errorRatePct: z.string().min(1).optional(),
      latencyP95Ms: z.string().min(1).optional(),
      cpuPct: z.union([z.string().min(1), z.literal(false)]).optional(),
      memoryPct: z.union([z.string().min(1), z.literal(false)]).optional(),
    })
    .default({}),
  timeoutMs: z.number().int().positive().default(10_000),
  /** How often Prometheus scrapes the service: a watched period polls no faster than this. */
  scrapeIntervalSeconds: z.number().positive().max(600).default(15),
  /** The region's load balancer as the same Prometheus scrapes it: requests it failed itself, servers down. */
  balancer: balancerMetricsSchema.optional(),
});
export type MetricsConfig = z.infer<typeof metricsConfigSchema>;

/** A bucket's `le` label in seconds: Prometheus writes the last bound "+Inf", which Number() reads as NaN. */
export const parseLe = (le: string | undefined): number => (le === '+Inf' ? Infinity : Number(le));

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

export function renderQuery(template: string, vars: { region: string; colour: Colour; service: string; window: string }): string {
  return template
    .replaceAll('{region}', escapeLabel(vars.region))
    .replaceAll('{colour}', escapeLabel(vars.colour))
    .replaceAll('{service}', escapeLabel(vars.service))
    .replaceAll('{window}', vars.window);
}

export function createPrometheusActivities(cfg: MetricsConfig, env: Env): Pick<MetricsActivities, 'readMetrics'> {
  return { readMetrics: (ctx, colour) => createPrometheusProvider(cfg, env).read(ctx, colour) };
}

export function createPrometheusProvider(cfg: MetricsConfig, _env: Env): MetricsProvider {
  const templates: Partial<Record<MetricKey, string>> = {
    errorRatePct: cfg.queries.errorRatePct ?? DEFAULT_QUERIES.errorRatePct,
    latencyP95Ms: cfg.queries.latencyP95Ms ?? DEFAULT_QUERIES.latencyP95Ms,
  };
  for (const key of ['cpuPct', 'memoryPct'] as const) {
    const q = cfg.queries[key];
    if (q !== false) templates[key] = q ?? DEFAULT_QUERIES[key];
  }

  /** One evaluation time for every figure; with `idleReads`, error rate and p95 without data are left out. */
  async function readWindow(ctx: RegionContext, colour: Colour, idleReads: boolean): Promise<WindowReading> {
    // Read-only, so a dry run reads as usual.
    const time = new Date();
    const vars = { region: ctx.region, colour, service: ctx.service, window: cfg.window };
    const settled = await Promise.allSettled(
      (Object.entries(templates) as [MetricKey, string][]).map(async ([key, template]) => {
        const what = `${LABELS[key]} of ${colour} in ${ctx.region} over ${cfg.window}`;
        const traffic = key === 'errorRatePct' || key === 'latencyP95Ms';
        return [key, await (idleReads && traffic ? optionalQuery : instantQuery)(cfg, renderQuery(template, vars), time, what)] as const;
      }),
    );
    // A configuration error outranks missing data: retrying cannot fix it.
    const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as ApplicationFailure] : []));
    if (failures.length) throw failures.find((f) => f.nonRetryable) ?? failures[0];
    const values = Object.fromEntries(settled.flatMap((r) => (r.status === 'fulfilled' && r.value[1] !== undefined ? [r.value] : [])));
    return { ...(values as Partial<Record<MetricKey, number>>), sampledAt: time.toISOString() };
  }

  return {
    scrapeIntervalSeconds: cfg.scrapeIntervalSeconds,

    async sample(ctx: RegionContext, colour: Colour, latencyLimitMs: number, at: Date): Promise<ColourSample> {
      const q = (template: string) => renderQuery(template, { region: ctx.region, colour, service: ctx.service, window: cfg.window });
      const what = (x: string) => `${x} of ${colour} in ${ctx.region} at ${at.toISOString()}`;
      const [requests, errors, buckets, servers] = await Promise.all([
        queryVector(cfg, q(SAMPLE_QUERIES.requests), at, what('requests')),
        queryVector(cfg, q(SAMPLE_QUERIES.errors), at, what('5xx responses')),
        queryVector(cfg, q(SAMPLE_QUERIES.buckets), at, what('latency buckets')),
        cfg.balancer && readBalancerServers(cfg, cfg.balancer, ctx.region, colour, at),
      ]);
      const byInstance = (series: Series[]) => new Map(series.map((x) => [x.metric.instance ?? '', x.value]));
      const errorsOf = byInstance(errors);
      const instances: ColourSample['instances'] = {};
      for (const r of requests) {
        const id = r.metric.instance ?? '';
        const histogram = buckets.filter((b) => (b.metric.instance ?? '') === id).map((b) => ({ le: parseLe(b.metric.le), count: b.value }));
        if (!histogram.some((b) => b.le === Infinity)) {
          throw nonRetryable('ConfigurationError', `the latency histogram of ${colour} in ${ctx.region} (instance ${id}) has no le="+Inf" bucket: slow requests cannot be counted`);
        }
        // A 5xx series appears with the first 5xx: an instance without one has served none.
        instances[id] = { requests: r.value, errors: errorsOf.get(id) ?? 0, slow: slowFromBuckets(histogram, latencyLimitMs).slow };
      }
      return { instances, ...(servers ? { servers } : {}) };
    },

    read: (ctx, colour) => readWindow(ctx, colour, false) as Promise<Metrics>,
    readWindow: (ctx, colour) => readWindow(ctx, colour, true),
  };
}
