// The traffic seam: one interface, one file per load balancer (traffic-haproxy.ts, traffic-nginx.ts),
// chosen per region by `traffic.kind` in traffic.ts.
import type { ChangeReport, TrafficWeights } from '../domain/ports.js';

export interface TrafficRouter {
  /** Current weights as percentages (blue + green = 100). */
  read(): Promise<TrafficWeights>;
  /** Applies the weights at once; with dryRun, reports what would change and changes nothing. */
  set(weights: TrafficWeights, dryRun: boolean): Promise<ChangeReport>;
}
