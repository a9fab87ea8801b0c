// Every activity the worker registers, built from the worker's config and environment.
// Vendors are chosen per region by config (traffic.kind, metrics.kind, dns.kind); calls dispatch on ctx.region.
import type { Client } from '@temporalio/client';
import type { MeridianActivities, RegionContext } from '../domain/ports.js';
import type { WorkerConfig } from './config.js';
import { createDeployActivities } from './deploy-ssh.js';
import { createDnsActivities } from './dns.js';
import { nonRetryable } from './errors.js';
import type { MetricsProvider } from './metrics-provider.js';
import { createMetricsProvider } from './metrics.js';
import { createNotifyActivities } from './notify.js';
import { createPolicyActivities } from './policy.js';
import { createPushgatewayActivities } from './pushgateway.js';
import type { Env } from './secrets.js';
import { createTrafficActivitiesFromConfig } from './traffic.js';
import { createWatchActivities } from './watch.js';

export interface ActivityDeps {
  /** For the policy activity's visibility count. */
  client: Client;
  /** Regions to serve (default: every configured one); others fail with ConfigurationError. */
  regions?: string[];
}

type PointDnsAt = MeridianActivities['pointDnsAt'];

/** Picks the region's implementation; an unserved region is a configuration problem, not a retry. */
function byRegion<F extends (ctx: RegionContext, ...rest: never[]) => Promise<unknown>>(what: string, impls: Record<string, F>): F {
  return (async (ctx: RegionContext, ...rest: never[]) => {
    const impl = Object.hasOwn(impls, ctx.region) ? impls[ctx.region] : undefined;
    if (!impl) throw nonRetryable('ConfigurationError', `this worker has no ${what} for region ${ctx.region}`);
    return impl(ctx, ...rest);
  }) as F;
}

export function createActivities(config: WorkerConfig, env: Env, deps: ActivityDeps): MeridianActivities {
  const served = Object.fromEntries(Object.entries(config.regions).filter(([r]) => !deps.regions || deps.regions.includes(r)));
  const regions = Object.keys(served);

  const deploy = createDeployActivities({ regions: Object.fromEntries(regions.map((r) => [r, served[r]!.deploy])) }, env);
  const traffic = createTrafficActivitiesFromConfig(Object.fromEntries(regions.map((r) => [r, served[r]!.traffic])), env);
  const providers: Record<string, MetricsProvider> = {};
  const pointDnsAt: Record<string, PointDnsAt> = {};
  for (const r of regions) {
    providers[r] = createMetricsProvider(served[r]!.metrics, env);
    pointDnsAt[r] = createDnsActivities(served[r]!.dns, env).pointDnsAt;
  }
  const { links, grafana, notify } = config;
  const pushgateway = createPushgatewayActivities(config.pushgateway, env);
  const provider = (region: string): MetricsProvider => {
    if (!Object.hasOwn(providers, region)) throw nonRetryable('ConfigurationError', `this worker has no metrics source for region ${region}`);
    return providers[region]!;
  };

  return {
    ...deploy,
    ...traffic,
    pointDnsAt: byRegion('DNS settings', pointDnsAt),
    readMetrics: (ctx, colour) => provider(ctx.region).read(ctx, colour),
    ...createWatchActivities({ provider, report: pushgateway.pushStageMetrics }),
    ...pushgateway,
    ...createNotifyActivities({ ...notify, links, grafana }, env),
    ...createPolicyActivities(deps.client),
    // Every configured region, not only those served here: regional workers serve the rest.
    workerSetup: async () => ({ regions: Object.keys(config.regions), ...(config.approvers ? { approvers: config.approvers } : {}) }),
  };
}
