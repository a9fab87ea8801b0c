// Metrics per region through whichever provider the region's config names (`metrics.kind`, default
// "prometheus"). A second vendor is one file implementing MetricsProvider plus one line in each of
// the two places below.
import { z } from 'zod';
import type { MetricsProvider } from './metrics-provider.js';
import { createPrometheusProvider, metricsConfigSchema as prometheusSchema } from './metrics-prometheus.js';
import type { Env } from './secrets.js';
import { byKind, withDefaultKind } from './vendor-choice.js';

/** Configs written before `kind` existed are Prometheus. */
export const metricsConfigSchema = z.preprocess(withDefaultKind('prometheus'), z.discriminatedUnion('kind', [prometheusSchema.extend({ kind: z.literal('prometheus') })]));
export type MetricsConfig = z.output<typeof metricsConfigSchema>;

export const createMetricsProvider = byKind<MetricsConfig, [Env], MetricsProvider>({ prometheus: createPrometheusProvider });
