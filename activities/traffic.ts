// The traffic concern: the factory that builds a region's TrafficRouter by `traffic.kind`, and the
// activities, which send each call to its region's router.
import { z } from 'zod';
import type { TrafficActivities } from '../domain/ports.js';
import { haproxyRouter } from './traffic-haproxy.js';
import { nginxRouter } from './traffic-nginx.js';
import type { TrafficRouter } from './traffic-router.js';
import { validateWeights } from './traffic-weights.js';
import { kinds, type RegionVendorArgs } from './vendor-choice.js';

const routers = kinds<TrafficRouter, RegionVendorArgs>()(haproxyRouter, nginxRouter);

export const trafficConfigSchema = routers.schema;
export type TrafficConfig = z.output<typeof trafficConfigSchema>;

export const createTrafficRouter = routers.create;

export function createTrafficActivities(router: (region: string) => TrafficRouter): TrafficActivities {
  return {
    readTrafficWeights: async (ctx) => router(ctx.region).read(),
    setTrafficWeights: async (ctx, weights, outOfService = []) =>
      router(ctx.region).set(validateWeights(weights), ctx.dryRun, outOfService),
  };
}
