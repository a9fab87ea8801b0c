// The deploy seam: one interface, one file per way of installing a release (deploy-ssh.ts), chosen
// per region by `deploy.kind` in deploy.ts.
import type { ChangeReport, DeployRequest } from '../domain/ports.js';

export interface Deployer {
  /** Installs the artifact on the colour's host and restarts it until healthy. Same version twice: a no-op. */
  deploy(req: DeployRequest): Promise<ChangeReport>;
}
