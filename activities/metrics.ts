// The metrics concern: the factory that builds a region's MetricsProvider by `metrics.kind`
// (default "prometheus"), and the gate activities, which send each call to its region's provider.
// The watch activity (watch.ts) reads through the same providers.
import { z } from 'zod';
import type { MetricsActivities } from '../domain/ports.js';
import type { MetricsProvider } from './metrics-provider.js';
import { prometheusProvider } from './metrics-prometheus.js';
import { kinds, type RegionVendorArgs, withDefaultKind } from './vendor-choice.js';

const providers = kinds<MetricsProvider, RegionVendorArgs>()(prometheusProvider);

/** Configs written before `kind` existed are Prometheus. */
export const metricsConfigSchema = z.preprocess(withDefaultKind('prometheus'), providers.schema);

export const createMetricsProvider = providers.create;

export function createMetricsActivities(
  provider: (region: string) => MetricsProvider,
): Pick<MetricsActivities, 'readMetrics' | 'checkMetrics'> {
  return {
    readMetrics: async (ctx, colour) => provider(ctx.region).read(ctx, colour),
    checkMetrics: async (ctx, limits) => provider(ctx.region).check(ctx, limits),
  };
}
