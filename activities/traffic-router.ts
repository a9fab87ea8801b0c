// The traffic seam: one interface, one file per load balancer (traffic-haproxy.ts, traffic-nginx.ts),
// chosen per region by `traffic.kind` in traffic.ts.
import type { ChangeReport, TrafficWeights } from '../domain/ports.js';
import type { ColourServers } from './traffic-weights.js';

export interface TrafficRouter {
  /** Each colour's server names in config order: one per host, as deploy names the hosts. */
  readonly servers: ColourServers;
  /** Current weights as percentages (blue + green = 100), each colour's servers' weights added up. */
  read(): Promise<TrafficWeights>;
  /**
   * Applies the weights at once, each colour's share spread over its in-service servers; the servers
   * named in `outOfService` (hosts whose deploy failed) get none, and a name the config does not list
   * is a ConfigurationError. With dryRun, reports what would change and changes nothing.
   */
  set(weights: TrafficWeights, dryRun: boolean, outOfService?: string[]): Promise<ChangeReport>;
}
