// Prometheus' reading of counters, as the static judge's rate window sees it: `rate()` over the
// samples in the window, extrapolated towards the window's edges (promql/functions.go,
// extrapolatedRate), and histogram_quantile on the summed buckets.
import { LE } from './traffic.js';

export interface Scrape {
  t: number;
  requests: number;
  errors: number;
  /** Cumulative count per bucket bound (LE), the last = requests. */
  buckets: Float64Array;
}

/**
 * Prometheus' rate() of one counter over (end − range, end] from its samples (time `t` and value
 * `value(i)` of sample i, in time order); undefined with fewer than 2 samples in the range.
 */
function extrapolatedRate(
  t: (i: number) => number,
  value: (i: number) => number,
  n: number,
  end: number,
  range: number,
): number | undefined {
  let first = -1;
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (t(i) <= end - range || t(i) > end) continue;
    if (first < 0) first = i;
    last = i;
  }
  if (first < 0 || last === first) return undefined;
  let increase = value(last) - value(first);
  for (let i = first + 1; i <= last; i++) if (value(i) < value(i - 1)) increase += value(i - 1);
  const sampled = t(last) - t(first);
  const average = sampled / (last - first);
  let toStart = t(first) - (end - range);
  const toEnd = end - t(last);
  // A counter is not extrapolated below zero.
  if (increase > 0 && value(first) >= 0) toStart = Math.min(toStart, sampled * (value(first) / increase));
  const threshold = average * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : average / 2;
  interval += toEnd < threshold ? toEnd : average / 2;
  return (increase * (interval / sampled)) / range;
}

/** histogram_quantile(q) on cumulative bucket values (LE bounds); NaN without requests. */
function histogramQuantile(q: number, cumulative: ArrayLike<number>): number {
  const total = cumulative[LE.length - 1]!;
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let b = 0;
  while (cumulative[b]! < rank) b++;
  if (b === LE.length - 1) return LE[LE.length - 2]!;
  const start = b ? LE[b - 1]! : 0;
  const below = b ? cumulative[b - 1]! : 0;
  return start + (LE[b]! - start) * ((rank - below) / (cumulative[b]! - below));
}

/**
 * The rate-window reading of one colour (errors %, p95 ms) from its instances' scrapes: the
 * sample service's queries. A 5xx series exists only once an instance has served an error, and
 * no request in the window is no data (NaN), as Prometheus answers.
 */
export function windowReading(instances: Scrape[][], end: number, range: number): { errorRatePct: number; latencyP95Ms: number } {
  let requests = 0;
  let errors = 0;
  let any = false;
  const buckets = new Float64Array(LE.length);
  for (const h of instances) {
    const t = (i: number) => h[i]!.t;
    const r = extrapolatedRate(t, (i) => h[i]!.requests, h.length, end, range);
    if (r === undefined) continue;
    any = true;
    requests += r;
    // The 5xx series starts with the instance's first error.
    const since = h.findIndex((s) => s.errors > 0);
    if (since >= 0)
      errors +=
        extrapolatedRate(
          (i) => h[since + i]!.t,
          (i) => h[since + i]!.errors,
          h.length - since,
          end,
          range,
        ) ?? 0;
    for (let k = 0; k < LE.length; k++) buckets[k]! += extrapolatedRate(t, (i) => h[i]!.buckets[k]!, h.length, end, range) ?? 0;
  }
  if (!any || requests <= 0) return { errorRatePct: NaN, latencyP95Ms: NaN };
  return { errorRatePct: (100 * errors) / requests, latencyP95Ms: 1000 * histogramQuantile(0.95, buckets) };
}
