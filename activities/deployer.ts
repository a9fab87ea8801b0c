// The deploy seam: one interface, one file per way of installing a release on a host (deploy-ssh.ts),
// chosen per region by `deploy.kind` in deploy.ts. Batches, session caps and resuming are not the
// vendor's: deploy-batches.ts runs them the same way for every vendor.
import type { Colour } from '../domain/metrics.js';
import type { ChangeReport, DeployRequest } from '../domain/ports.js';

export interface Deployer {
  /** The colour's hosts by name, in deploy order. Names are what cards, status and the balancer use; never an address. */
  hosts(colour: Colour): string[];
  /**
   * Installs the artifact on one host and restarts it until healthy; the same version twice is a no-op.
   * `progress` reports the step under way (it is heartbeated with the batch's progress).
   */
  deployHost(req: DeployRequest, host: string, progress: (step: string) => void): Promise<ChangeReport>;
}
