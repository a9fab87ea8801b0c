// Every activity the worker registers, built from the worker's config and environment.
// Vendors are chosen per region by config (deploy.kind, traffic.kind, metrics.kind, dns.kind) and
// notification channels by notify.channels[].kind; calls dispatch on the request's region.
import type { Client } from '@temporalio/client';
import type { DeployActivities, DnsActivities, MeridianActivities } from '../domain/ports.js';
import type { WorkerConfig } from './config.js';
import { createDeployer } from './deploy.js';
import { createDnsActivities } from './dns.js';
import type { MetricsProvider } from './metrics-provider.js';
import { createMetricsProvider } from './metrics.js';
import { createNotifyActivities } from './notify.js';
import { createPolicyActivities } from './policy.js';
import { createPushgatewayActivities } from './pushgateway.js';
import type { Env } from './secrets.js';
import { createTrafficActivitiesFromConfig } from './traffic.js';
import { byRegion } from './vendor-choice.js';
import { createWatchActivities } from './watch.js';

export interface ActivityDeps {
  /** For the policy activity's visibility count. */
  client: Client;
  /** Regions to serve (default: every configured one); others fail with ConfigurationError. */
  regions?: string[];
}

export function createActivities(config: WorkerConfig, env: Env, deps: ActivityDeps): MeridianActivities {
  const served = Object.fromEntries(Object.entries(config.regions).filter(([r]) => !deps.regions || deps.regions.includes(r)));
  const perRegion = <T>(create: (rc: WorkerConfig['regions'][string]) => T) => Object.fromEntries(Object.entries(served).map(([r, rc]) => [r, create(rc)]));

  const deployer = byRegion<DeployActivities>('deploy target', perRegion((rc) => createDeployer(rc.deploy, env)));
  const traffic = createTrafficActivitiesFromConfig(perRegion((rc) => rc.traffic), env);
  const provider = byRegion<MetricsProvider>('metrics source', perRegion((rc) => createMetricsProvider(rc.metrics, env)));
  const dns = byRegion<DnsActivities>('DNS settings', perRegion((rc) => createDnsActivities(rc.dns, env)));
  const { links, grafana, notify } = config;
  const pushgateway = createPushgatewayActivities(config.pushgateway, env);

  return {
    deploy: async (req) => deployer(req.ctx.region).deploy(req),
    ...traffic,
    pointDnsAt: async (ctx, colour) => dns(ctx.region).pointDnsAt(ctx, colour),
    readMetrics: async (ctx, colour) => provider(ctx.region).read(ctx, colour),
    checkMetrics: async (ctx, limits) => provider(ctx.region).check(ctx, limits),
    ...createWatchActivities({ provider, report: pushgateway.pushStageMetrics }),
    ...pushgateway,
    ...createNotifyActivities({ ...notify, links, grafana }, env),
    ...createPolicyActivities(deps.client),
    // Every configured region, not only those served here: regional workers serve the rest.
    workerSetup: async () => ({ regions: Object.keys(config.regions), ...(config.approvers ? { approvers: config.approvers } : {}) }),
  };
}
