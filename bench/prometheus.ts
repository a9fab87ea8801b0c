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

/** Prometheus' rate() of one counter over (end − range, end]; undefined with fewer than 2 samples. */
export function extrapolatedRate(samples: { t: number; v: number }[], end: number, range: number): number | undefined {
  const inRange = samples.filter((s) => s.t > end - range && s.t <= end);
  if (inRange.length < 2) return undefined;
  const first = inRange[0]!;
  const last = inRange.at(-1)!;
  let increase = last.v - first.v;
  for (let i = 1; i < inRange.length; i++) if (inRange[i]!.v < inRange[i - 1]!.v) increase += inRange[i - 1]!.v;
  const sampled = last.t - first.t;
  const average = sampled / (inRange.length - 1);
  let toStart = first.t - (end - range);
  const toEnd = end - last.t;
  // A counter is not extrapolated below zero.
  if (increase > 0 && first.v >= 0) toStart = Math.min(toStart, sampled * (first.v / increase));
  const threshold = average * 1.1;
  let interval = sampled;
  interval += toStart < threshold ? toStart : average / 2;
  interval += toEnd < threshold ? toEnd : average / 2;
  return (increase * (interval / sampled)) / range;
}

/** histogram_quantile(q) on cumulative bucket values (LE bounds); NaN without requests. */
export function histogramQuantile(q: number, cumulative: ArrayLike<number>): number {
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
  for (const history of instances) {
    const r = extrapolatedRate(history.map((s) => ({ t: s.t, v: s.requests })), end, range);
    if (r === undefined) continue;
    any = true;
    requests += r;
    const withErrors = history.filter((s) => s.errors > 0);
    errors += extrapolatedRate(withErrors.map((s) => ({ t: s.t, v: s.errors })), end, range) ?? 0;
    for (let k = 0; k < LE.length; k++) buckets[k]! += extrapolatedRate(history.map((s) => ({ t: s.t, v: s.buckets[k]! })), end, range) ?? 0;
  }
  if (!any || requests <= 0) return { errorRatePct: NaN, latencyP95Ms: NaN };
  return { errorRatePct: (100 * errors) / requests, latencyP95Ms: 1000 * histogramQuantile(0.95, buckets) };
}
