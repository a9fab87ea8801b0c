// Activities over one concern's vendors, built as the worker builds them (activities/index.ts), for
// the tests of that concern alone: the factory picks each vendor by `kind`, byRegion sends a call
// to its region's instance.
import { createMetricsActivities } from '../../activities/metrics.js';
import { createPrometheusProvider, type PrometheusMetricsConfig } from '../../activities/metrics-prometheus.js';
import type { Env } from '../../activities/secrets.js';
import { createTrafficActivities, createTrafficRouter, type TrafficConfig } from '../../activities/traffic.js';
import { byRegion } from '../../activities/vendor-choice.js';

/** Traffic activities serving these regions only. */
export const trafficActivities = (configs: Record<string, TrafficConfig>, env: Env) =>
  createTrafficActivities(byRegion('traffic router', configs, (cfg, region) => createTrafficRouter(cfg, env, region)));

/** The metric gates' activities on one Prometheus, whatever the region. */
export const prometheusActivities = (cfg: PrometheusMetricsConfig) => createMetricsActivities(() => createPrometheusProvider(cfg));
