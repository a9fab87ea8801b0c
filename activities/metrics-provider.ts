// The metrics seam: one interface, one file per vendor (metrics-prometheus.ts), chosen per region by
// `metrics.kind` in metrics.ts. The watch activity and the gates see only this.
import type { ColourSample } from '../domain/counters.js';
import type { Colour, Metrics } from '../domain/metrics.js';
import type { RegionContext } from '../domain/ports.js';
import type { WindowReading } from '../domain/watch.js';

export interface MetricsProvider {
  /** A colour's health over the provider's rate window (the static gates); no data fails. */
  read(ctx: RegionContext, colour: Colour): Promise<Metrics>;
  /**
   * The same for the sequential judge (CPU and memory gates, display): a window without a request
   * reads without error rate and p95 instead of failing.
   */
  readWindow(ctx: RegionContext, colour: Colour): Promise<WindowReading>;
  /**
   * A colour's raw cumulative counters per instance as they stood at `at`: requests, 5xx, and
   * requests slower than `latencyLimitMs`. The canary judge counts the differences (countsBetween).
   * No instance at all is an empty sample, not an error: the caller decides what that means.
   */
  sample(ctx: RegionContext, colour: Colour, latencyLimitMs: number, at: Date): Promise<ColourSample>;
  /**
   * The application's counters alone (no balancer servers: it may not have been scraped that far
   * back) at `count` instants `stepMs` apart from `from`, each as `sample` would read it there, in
   * one read per counter: the judge's lookback, up to a day in 1-minute bins.
   */
  sampleEvery(
    ctx: RegionContext,
    colour: Colour,
    latencyLimitMs: number,
    from: Date,
    stepMs: number,
    count: number,
  ): Promise<ColourSample[]>;
  /**
   * Before a rollout touches the region: refuses, non-retryably and naming the config field, counts
   * the judge could not make (no request counter series for either colour; a latency histogram
   * without +Inf, or without a bucket at or below one of `latencyLimitsMs`).
   */
  check(ctx: RegionContext, latencyLimitsMs: number[]): Promise<void>;
  /** How often the provider's data changes: polling faster only re-reads the same samples. */
  scrapeIntervalSeconds: number;
}
