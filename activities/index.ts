// Every activity the worker registers, built from the worker's config and environment.
// Each per-region concern's vendor is chosen by its config's `kind` (deploy, traffic, metrics, dns)
// and reached through byRegion: the request's region picks that region's vendor. Notification
// channels are not per region (notify.channels[].kind).
import type { Client } from '@temporalio/client';
import type { MeridianActivities } from '../domain/ports.js';
import type { FleetSizes } from '../domain/fleet.js';
import type { RegionConfig, WorkerConfig } from './config.js';
import { createDeployActivities, createDeployer } from './deploy.js';
import { createDnsActivities, createDnsProvider } from './dns.js';
import { createMetricsActivities, createMetricsProvider } from './metrics.js';
import { createNotifyActivities } from './notify.js';
import { createPolicyActivities } from './policy.js';
import { createPushgatewayActivities } from './pushgateway.js';
import type { Env } from './secrets.js';
import { createTrafficActivities, createTrafficRouter } from './traffic.js';
import { byRegion } from './vendor-choice.js';
import { createWatchActivities } from './watch.js';

export interface ActivityDeps {
  /** For the policy activity's visibility count. */
  client: Client;
  /** Regions to serve (default: every configured one); others fail with ConfigurationError. */
  regions?: string[];
}

/** Hosts per colour in every configured region, from each region's deployer (names only, no address is read). */
function fleetSizes(config: WorkerConfig, env: Env): FleetSizes {
  return Object.fromEntries(
    Object.entries(config.regions).map(([r, rc]) => {
      const deployer = createDeployer(rc.deploy, env, r);
      return [r, { blue: deployer.hosts('blue').length, green: deployer.hosts('green').length }];
    }),
  );
}

export function createActivities(config: WorkerConfig, env: Env, deps: ActivityDeps): MeridianActivities {
  const served = Object.fromEntries(Object.entries(config.regions).filter(([r]) => !deps.regions || deps.regions.includes(r)));
  const regional = <T>(what: string, create: (rc: RegionConfig, region: string) => T) => byRegion(what, served, create);
  const provider = regional('metrics source', (rc, r) => createMetricsProvider(rc.metrics, env, r));
  const { links, grafana, notify } = config;
  const pushgateway = createPushgatewayActivities(config.pushgateway, env);

  return {
    ...createDeployActivities(regional('deploy target', (rc, r) => createDeployer(rc.deploy, env, r))),
    ...createTrafficActivities(regional('traffic router', (rc, r) => createTrafficRouter(rc.traffic, env, r))),
    ...createDnsActivities(regional('DNS settings', (rc, r) => createDnsProvider(rc.dns, env, r))),
    ...createMetricsActivities(provider),
    ...createWatchActivities({ provider, report: pushgateway.pushStageMetrics }),
    ...pushgateway,
    ...createNotifyActivities({ ...notify, links, grafana }, env),
    ...createPolicyActivities(deps.client),
    // Every configured region, not only those served here: regional workers serve the rest.
    workerSetup: async () => ({
      regions: Object.keys(config.regions),
      ...(config.approvers ? { approvers: config.approvers } : {}),
      fleets: fleetSizes(config, env),
    }),
  };
}
