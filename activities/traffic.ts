// Traffic weights between blue and green, per region, through whichever load balancer the region runs.
// Each vendor file implements TrafficRouter; this file picks the region's router.
import { z } from 'zod';
import type { TrafficActivities } from '../domain/ports.js';
import type { Env } from './secrets.js';
import { createHaproxyRouter, haproxyTrafficSchema } from './traffic-haproxy.js';
import { createNginxRouter, nginxTrafficSchema } from './traffic-nginx.js';
import type { TrafficRouter } from './traffic-router.js';
import { validateWeights } from './traffic-weights.js';
import { byKind, byRegion } from './vendor-choice.js';

export type { TrafficRouter } from './traffic-router.js';

export const trafficConfigSchema = z.discriminatedUnion('kind', [haproxyTrafficSchema, nginxTrafficSchema]);
export type TrafficConfig = z.infer<typeof trafficConfigSchema>;

/** The router for one region's config; secrets (backend IPs, LB host) come from env by region. */
export const createTrafficRouter = byKind<TrafficConfig, [Env, string], TrafficRouter>({ haproxy: createHaproxyRouter, nginx: createNginxRouter });

export function createTrafficActivities(routersByRegion: Record<string, TrafficRouter>): TrafficActivities {
  const router = byRegion('traffic router', routersByRegion);
  return {
    readTrafficWeights: async (ctx) => router(ctx.region).read(),
    setTrafficWeights: async (ctx, weights) => router(ctx.region).set(validateWeights(weights), ctx.dryRun),
  };
}

/** Builds every region's router from the worker's config: `{ "us-east": { kind: "haproxy", … }, … }`. */
export function createTrafficActivitiesFromConfig(cfgByRegion: Record<string, TrafficConfig>, env: Env): TrafficActivities {
  const routers: Record<string, TrafficRouter> = {};
  for (const [region, cfg] of Object.entries(cfgByRegion)) routers[region] = createTrafficRouter(cfg, env, region);
  return createTrafficActivities(routers);
}
