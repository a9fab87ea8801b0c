// The metrics seam: one interface, one file per vendor (metrics-prometheus.ts today), chosen by the
// region's `metrics.kind` in the worker config. The watch activity and the gates see only this.
import type { ColourCounts } from '../domain/judge.js';
import type { Colour, Metrics } from '../domain/metrics.js';
import type { RegionContext } from '../domain/ports.js';

export interface MetricsProvider {
  /** A colour's health over the provider's rate window (the static gates; CPU and memory). */
  read(ctx: RegionContext, colour: Colour): Promise<Metrics>;
  /** A colour's requests, 5xx and requests slower than `latencyLimitMs` since `sinceMs` (the canary judge). */
  counts(ctx: RegionContext, colour: Colour, sinceMs: number, latencyLimitMs: number): Promise<ColourCounts>;
  /** How often the provider's data changes: polling faster only re-reads the same samples. */
  scrapeIntervalSeconds: number;
}
