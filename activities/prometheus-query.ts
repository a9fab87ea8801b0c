// Prometheus' HTTP query API: one instant query, as a vector of series or as one number; one range
// query, as each series' values at evenly spaced instants.
// No data, an empty result or NaN is never a healthy 0: it fails with a retryable
// MetricsUnavailable naming the metric (or, where the caller says so, reads as no value);
// a rejected query or credential fails non-retryably.
import { ApplicationFailure } from '@temporalio/common';
import { nonRetryable } from './errors.js';
import { networkCause, urlSecrets } from './vendor-http.js';

export interface QueryTarget {
  prometheusUrl: string;
  timeoutMs: number;
}

export interface Series {
  metric: Record<string, string>;
  value: number;
}

export const unavailable = (message: string) => ApplicationFailure.create({ type: 'MetricsUnavailable', message });

interface PromResponse {
  status?: string;
  errorType?: string;
  error?: string;
  data?: { resultType?: string; result?: unknown };
}

/** One instant query's series (a scalar reads as one series without labels). */
export async function queryVector(cfg: QueryTarget, query: string, time: Date, what: string): Promise<Series[]> {
  const { resultType, result } = await get(cfg, 'query', { query, time: seconds(time.getTime()) }, what);
  if (resultType === 'scalar') return [{ metric: {}, value: Number((result as [number, string])[1]) }];
  if (resultType === 'vector') {
    return (result as { metric?: Record<string, string>; value: [number, string] }[]).map((r) => ({
      metric: r.metric ?? {},
      value: Number(r.value[1]),
    }));
  }
  throw nonRetryable('ConfigurationError', `PromQL for ${what} returns a ${resultType}; an instant vector or scalar is needed`);
}

/**
 * One range query evaluated at `count` instants `stepMs` apart from `from`, each as an instant query
 * there would be: per instant, the series that had a value then (`vector`s, in order).
 */
export async function queryRange(
  cfg: QueryTarget,
  query: string,
  from: Date,
  stepMs: number,
  count: number,
  what: string,
): Promise<Series[][]> {
  const start = from.getTime();
  const params = { query, start: seconds(start), end: seconds(start + (count - 1) * stepMs), step: String(stepMs / 1000) };
  const { resultType, result } = await get(cfg, 'query_range', params, what);
  if (resultType !== 'matrix')
    throw nonRetryable('ConfigurationError', `PromQL for ${what} returns a ${resultType} over a range; a vector is needed`);
  const at: Series[][] = Array.from({ length: count }, () => []);
  for (const r of result as { metric?: Record<string, string>; values: [number, string][] }[]) {
    for (const [t, v] of r.values) at[Math.round((t * 1000 - start) / stepMs)]?.push({ metric: r.metric ?? {}, value: Number(v) });
  }
  return at;
}

const seconds = (ms: number): string => (ms / 1000).toFixed(3);

/** A GET of the query API: its `data`, or the failure its answer calls for. */
async function get(
  cfg: QueryTarget,
  endpoint: string,
  params: Record<string, string>,
  what: string,
): Promise<NonNullable<PromResponse['data']>> {
  const url = new URL(`api/v1/${endpoint}`, cfg.prometheusUrl.endsWith('/') ? cfg.prometheusUrl : `${cfg.prometheusUrl}/`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(cfg.timeoutMs) });
  } catch (err) {
    const secrets = [...urlSecrets(url), ...urlSecrets(cfg.prometheusUrl)];
    throw unavailable(`Prometheus unreachable reading ${what}: ${networkCause(err, { timeoutMs: cfg.timeoutMs, secrets })}`);
  }
  const body = (await res.json().catch(() => ({}))) as PromResponse;
  if (res.status === 400)
    throw nonRetryable('ConfigurationError', `PromQL for ${what} rejected by Prometheus: ${body.error ?? 'bad request'}`);
  if (res.status === 401 || res.status === 403)
    throw nonRetryable('AuthenticationError', `Prometheus refused the query for ${what} (HTTP ${res.status})`);
  if (!res.ok || body.status !== 'success')
    throw unavailable(`Prometheus failed reading ${what}: HTTP ${res.status} ${body.error ?? ''}`.trim());
  return body.data ?? {};
}

/** One instant query's value: undefined for no series; several series are a configuration error. */
async function singleValue(cfg: QueryTarget, query: string, time: Date, what: string): Promise<number | undefined> {
  const series = await queryVector(cfg, query, time, what);
  if (series.length > 1)
    throw nonRetryable('ConfigurationError', `PromQL for ${what} returns ${series.length} series; aggregate it to one`);
  return series[0]?.value;
}

/** One instant query reduced to a single finite number, or a typed failure naming the metric. */
export async function instantQuery(cfg: QueryTarget, query: string, time: Date, what: string): Promise<number> {
  const value = await singleValue(cfg, query, time, what);
  if (value === undefined) throw unavailable(`no data for ${what}`);
  if (!Number.isFinite(value)) throw unavailable(`no usable data for ${what} (${String(value)})`);
  return value;
}

/** The same, where no data is an answer: undefined for no series or a non-finite value (0/0 over a window without requests). */
export async function optionalQuery(cfg: QueryTarget, query: string, time: Date, what: string): Promise<number | undefined> {
  const value = await singleValue(cfg, query, time, what);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}
