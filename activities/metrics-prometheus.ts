// Reads a colour's health in a region from Prometheus instant queries. No data, an empty result or
// NaN is never a healthy 0 %: it fails with a retryable MetricsUnavailable naming the metric, and the
// workflow turns exhausted retries into a metrics_unavailable breach.
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Colour, Metrics } from '../domain/metrics.js';
import type { MetricsActivities, RegionContext } from '../domain/ports.js';
import { nonRetryable } from './errors.js';
import { networkCause, urlSecrets } from './vendor-http.js';
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
});
export type MetricsConfig = z.infer<typeof metricsConfigSchema>;

const escapeLabel = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"');

export function renderQuery(template: string, vars: { region: string; colour: Colour; service: string; window: string }): string {
  return template
    .replaceAll('{region}', escapeLabel(vars.region))
    .replaceAll('{colour}', escapeLabel(vars.colour))
    .replaceAll('{service}', escapeLabel(vars.service))
    .replaceAll('{window}', vars.window);
}

const unavailable = (message: string) => ApplicationFailure.create({ type: 'MetricsUnavailable', message });

interface PromResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** One instant query reduced to a single finite number, or a typed failure naming the metric. */
async function instantQuery(cfg: MetricsConfig, query: string, time: Date, what: string): Promise<number> {
  const url = new URL('api/v1/query', cfg.prometheusUrl.endsWith('/') ? cfg.prometheusUrl : `${cfg.prometheusUrl}/`);
  url.searchParams.set('query', query);
  url.searchParams.set('time', (time.getTime() / 1000).toFixed(3));
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(cfg.timeoutMs) });
  } catch (err) {
    const secrets = [...urlSecrets(url), ...urlSecrets(cfg.prometheusUrl)];
    throw unavailable(`Prometheus unreachable reading ${what}: ${networkCause(err, { timeoutMs: cfg.timeoutMs, secrets })}`);
  }
  const body = (await res.json().catch(() => ({}))) as PromResponse;
  if (res.status === 400) throw nonRetryable('ConfigurationError', `PromQL for ${what} rejected by Prometheus: ${body.error ?? 'bad request'}`);
  if (res.status === 401 || res.status === 403) throw nonRetryable('AuthenticationError', `Prometheus refused the query for ${what} (HTTP ${res.status})`);
  if (!res.ok || body.status !== 'success') throw unavailable(`Prometheus failed reading ${what}: HTTP ${res.status} ${body.error ?? ''}`.trim());

  const { resultType, result } = body.data ?? {};
  let raw: unknown;
  if (resultType === 'scalar') {
    raw = (result as [number, string])[1];
  } else if (resultType === 'vector') {
    const series = result as { value: [number, string] }[];
    if (series.length === 0) throw unavailable(`no data for ${what}`);
    if (series.length > 1) throw nonRetryable('ConfigurationError', `PromQL for ${what} returns ${series.length} series; aggregate it to one`);
    raw = series[0]!.value[1];
  } else {
    throw nonRetryable('ConfigurationError', `PromQL for ${what} returns a ${resultType}; an instant vector or scalar is needed`);
  }
  const value = Number(raw);
  if (!Number.isFinite(value)) throw unavailable(`no usable data for ${what} (${String(raw)})`);
  return value;
}

export function createPrometheusActivities(cfg: MetricsConfig, _env: Env): Pick<MetricsActivities, 'readMetrics'> {
  const templates: Partial<Record<MetricKey, string>> = {
    errorRatePct: cfg.queries.errorRatePct ?? DEFAULT_QUERIES.errorRatePct,
    latencyP95Ms: cfg.queries.latencyP95Ms ?? DEFAULT_QUERIES.latencyP95Ms,
  };
  for (const key of ['cpuPct', 'memoryPct'] as const) {
    const q = cfg.queries[key];
    if (q !== false) templates[key] = q ?? DEFAULT_QUERIES[key];
  }

  return {
    async readMetrics(ctx: RegionContext, colour: Colour): Promise<Metrics> {
      // Read-only, so a dry run reads as usual. One evaluation time for every figure in the reading.
      const time = new Date();
      const vars = { region: ctx.region, colour, service: ctx.service, window: cfg.window };
      const settled = await Promise.allSettled(
        (Object.entries(templates) as [MetricKey, string][]).map(async ([key, template]) => {
          const what = `${LABELS[key]} of ${colour} in ${ctx.region} over ${cfg.window}`;
          return [key, await instantQuery(cfg, renderQuery(template, vars), time, what)] as const;
        }),
      );
      // A configuration error outranks missing data: retrying cannot fix it.
      const failures = settled.flatMap((r) => (r.status === 'rejected' ? [r.reason as ApplicationFailure] : []));
      if (failures.length) throw failures.find((f) => f.nonRetryable) ?? failures[0];
      const entries = settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      const values = Object.fromEntries(entries) as Partial<Record<MetricKey, number>>;
      return {
        errorRatePct: values.errorRatePct!,
        latencyP95Ms: values.latencyP95Ms!,
        ...(values.cpuPct !== undefined ? { cpuPct: values.cpuPct } : {}),
        ...(values.memoryPct !== undefined ? { memoryPct: values.memoryPct } : {}),
        sampledAt: time.toISOString(),
      };
    },
  };
}
