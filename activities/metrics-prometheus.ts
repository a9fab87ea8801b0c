// The MetricsProvider of `metrics.kind` "prometheus": a colour's health over a rate window (instant
// queries), and its raw request, 5xx and slow-request counters per instance at an instant, or at
// evenly spaced instants in one range query per counter (the judge's lookback), for the canary judge.
// No data for a reading is never a healthy 0 %: it fails with a retryable MetricsUnavailable.
import type { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { ColourSample } from '../domain/counters.js';
import { slowFromBuckets } from '../domain/judge.js';
import type { Colour, Metrics } from '../domain/metrics.js';
import type { RegionContext } from '../domain/ports.js';
import type { WindowReading } from '../domain/watch.js';
import type { MetricsProvider } from './metrics-provider.js';
import { countsConfigSchema, QUERY_VARS, sampleQueries, windowQueries, withPlaceholders, type CountsConfig } from './config-metrics.js';
import { nonRetryable } from './errors.js';
import { balancerMetricsSchema, readBalancerServers } from './metrics-balancer-haproxy.js';
import { instantQuery, optionalQuery, queryRange, queryVector, type Series, unavailable } from './prometheus-query.js';
import { vendor } from './vendor-choice.js';

type MetricKey = 'errorRatePct' | 'latencyP95Ms' | 'cpuPct' | 'memoryPct';

const LABELS: Record<MetricKey, string> = {
  errorRatePct: 'error rate',
  latencyP95Ms: 'p95 latency',
  cpuPct: 'CPU',
  memoryPct: 'memory',
};

const template = withPlaceholders(z.string().min(1), QUERY_VARS);
const promDuration = z.string().regex(/^\d+(ms|s|m|h|d)$/, 'a Prometheus duration such as 30s or 1m');

export const prometheusMetricsSchema = z.object({
  /** Prometheus base URL (the region's monitoring endpoint). */
  prometheusUrl: z.url(),
  /** Rate window: how far back each reading looks. */
  window: promDuration.default('1m'),
  /** Where the canary judge's counts come from (config-metrics.ts); the default readings use it too. */
  counts: countsConfigSchema.prefault({}),
  /**
   * PromQL templates overriding the rate-window readings ({region} {colour} {service} {window});
   * `false` skips the optional CPU or memory gate.
   */
  queries: z
    .object({
      errorRatePct: template.optional(),
      latencyP95Ms: template.optional(),
      cpuPct: z.union([template, z.literal(false)]).optional(),
      memoryPct: z.union([template, z.literal(false)]).optional(),
    })
    .default({}),
  timeoutMs: z.number().int().positive().default(10_000),
  /** How often Prometheus scrapes the service: a watched period polls no faster than this. */
  scrapeIntervalSeconds: z.number().positive().max(600).default(15),
  /** The region's load balancer as the same Prometheus scrapes it: requests it failed itself, servers down. */
  balancer: balancerMetricsSchema.optional(),
});
export type PrometheusMetricsConfig = z.infer<typeof prometheusMetricsSchema>;

/** A bucket's `le` label in seconds: Prometheus writes the last bound "+Inf", which Number() reads as NaN. */
const parseLe = (le: string | undefined): number => (le === '+Inf' ? Infinity : Number(le));

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

function renderQuery(template: string, vars: { region: string; colour: Colour; service: string; window: string }): string {
  return template
    .replaceAll('{region}', escapeLabel(vars.region))
    .replaceAll('{colour}', escapeLabel(vars.colour))
    .replaceAll('{service}', escapeLabel(vars.service))
    .replaceAll('{window}', vars.window);
}

export function createPrometheusProvider(cfg: PrometheusMetricsConfig): MetricsProvider {
  const defaults = windowQueries(cfg.counts);
  const templates: Partial<Record<MetricKey, string>> = {
    errorRatePct: cfg.queries.errorRatePct ?? defaults.errorRatePct,
    latencyP95Ms: cfg.queries.latencyP95Ms ?? defaults.latencyP95Ms,
  };
  for (const key of ['cpuPct', 'memoryPct'] as const) {
    const q = cfg.queries[key];
    if (q !== false) templates[key] = q ?? defaults[key];
  }
  const counts = sampleQueries(cfg.counts);
  const instanceOf = (s: Series) => s.metric[cfg.counts.instanceLabel] ?? '';

  /** A query template rendered for a colour in a region. */
  const queryFor = (ctx: RegionContext, colour: Colour) => (template: string) =>
    renderQuery(template, { region: ctx.region, colour, service: ctx.service, window: cfg.window });

  /** Each instance's counters at one instant from the three count queries' series, slow above `latencyLimitMs`. */
  function instancesOf(
    ctx: RegionContext,
    colour: Colour,
    at: Date,
    series: { requests: Series[]; errors: Series[]; buckets: Series[] },
    latencyLimitMs: number,
  ): ColourSample['instances'] {
    const errorsOf = new Map(series.errors.map((x) => [instanceOf(x), x.value]));
    const instances: ColourSample['instances'] = {};
    for (const r of series.requests) {
      const id = instanceOf(r);
      const histogram = series.buckets.filter((b) => instanceOf(b) === id).map((b) => ({ le: parseLe(b.metric.le), count: b.value }));
      // checkMetrics refused a histogram without +Inf before the rollout: here the bucket went
      // stale between the two queries (a failed scrape), and the next poll reads it again.
      if (!histogram.some((b) => b.le === Infinity)) {
        throw unavailable(
          `the latency histogram of ${colour} in ${ctx.region} (instance ${id}) has no le="+Inf" bucket at ${at.toISOString()}`,
        );
      }
      // A 5xx series appears with the first 5xx: an instance without one has served none.
      instances[id] = { requests: r.value, errors: errorsOf.get(id) ?? 0, slow: slowFromBuckets(histogram, latencyLimitMs).slow };
    }
    return instances;
  }

  /** One evaluation time for every figure; with `idleReads`, error rate and p95 without data are left out. */
  async function readWindow(ctx: RegionContext, colour: Colour, idleReads: boolean): Promise<WindowReading> {
    // Read-only, so a dry run reads as usual.
    const time = new Date();
    const q = queryFor(ctx, colour);
    const settled = await Promise.allSettled(
      (Object.entries(templates) as [MetricKey, string][]).map(async ([key, template]) => {
        const what = `${LABELS[key]} of ${colour} in ${ctx.region} over ${cfg.window}`;
        const traffic = key === 'errorRatePct' || key === 'latencyP95Ms';
        return [key, await (idleReads && traffic ? optionalQuery : instantQuery)(cfg, q(template), time, what)] as const;
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
      const q = queryFor(ctx, colour);
      const what = (x: string) => `${x} of ${colour} in ${ctx.region} at ${at.toISOString()}`;
      const [requests, errors, buckets, servers] = await Promise.all([
        queryVector(cfg, q(counts.requests), at, what('requests')),
        queryVector(cfg, q(counts.errors), at, what('5xx responses')),
        queryVector(cfg, q(counts.buckets), at, what('latency buckets')),
        cfg.balancer && readBalancerServers(cfg, cfg.balancer, ctx.region, colour, at),
      ]);
      return { instances: instancesOf(ctx, colour, at, { requests, errors, buckets }, latencyLimitMs), ...(servers ? { servers } : {}) };
    },

    async sampleEvery(ctx: RegionContext, colour: Colour, latencyLimitMs: number, from: Date, stepMs: number, count: number) {
      const q = queryFor(ctx, colour);
      const what = (x: string) => `${x} of ${colour} in ${ctx.region} every ${stepMs / 1000} s from ${from.toISOString()}`;
      const [requests, errors, buckets] = await Promise.all([
        queryRange(cfg, q(counts.requests), from, stepMs, count, what('requests')),
        queryRange(cfg, q(counts.errors), from, stepMs, count, what('5xx responses')),
        queryRange(cfg, q(counts.buckets), from, stepMs, count, what('latency buckets')),
      ]);
      return requests.map((r, k) => {
        const at = new Date(from.getTime() + k * stepMs);
        return { instances: instancesOf(ctx, colour, at, { requests: r, errors: errors[k]!, buckets: buckets[k]! }, latencyLimitMs) };
      });
    },

    async check(ctx: RegionContext, latencyLimitsMs: number[]): Promise<void> {
      const field = (f: keyof CountsConfig) => `regions.${ctx.region}.metrics.counts.${f}`;
      const time = new Date();
      const colours = await Promise.all(
        (['blue', 'green'] as const).map(async (colour) => {
          const q = queryFor(ctx, colour);
          const [requests, bounds] = await Promise.all([
            queryVector(cfg, q(counts.requests), time, `requests of ${colour} in ${ctx.region}`),
            queryVector(cfg, q(counts.bounds), time, `latency buckets of ${colour} in ${ctx.region}`),
          ]);
          return { colour, scraped: requests.length > 0, bounds: bounds.map((b) => parseLe(b.metric.le)) };
        }),
      );
      const refuse = (message: string) => nonRetryable('ConfigurationError', message);
      const { requests, selector, latencyHistogram } = cfg.counts;
      // A colour not deployed yet has no series; the stable one must have them.
      if (!colours.some((c) => c.scraped)) {
        throw refuse(
          `no series of ${requests}{${selector}} for blue or green in ${ctx.region}: ` +
            `check ${field('requests')} and ${field('selector')}, and that Prometheus scrapes the service`,
        );
      }
      for (const { colour, bounds } of colours.filter((c) => c.scraped)) {
        const histogram = `the latency histogram ${latencyHistogram} of ${colour} in ${ctx.region} (${field('latencyHistogram')})`;
        if (!bounds.includes(Infinity)) throw refuse(`${histogram} has no le="+Inf" bucket: slow requests cannot be counted`);
        const lowest = Math.min(...bounds);
        for (const limit of new Set(latencyLimitsMs)) {
          if (lowest > limit / 1000 + 1e-9)
            throw refuse(
              `${histogram} has no bucket at or below the ${limit} ms latency limit ` +
                `(its lowest is ${lowest * 1000} ms): every request would count as slow`,
            );
        }
      }
    },

    read: (ctx, colour) => readWindow(ctx, colour, false) as Promise<Metrics>,
    readWindow: (ctx, colour) => readWindow(ctx, colour, true),
  };
}

export const prometheusProvider = vendor('prometheus', prometheusMetricsSchema, createPrometheusProvider);
