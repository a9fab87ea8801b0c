// The deploy concern: the factory that builds a region's Deployer by `deploy.kind` (default "ssh"),
// and the activity, which sends each request to its region's deployer.
import { z } from 'zod';
import type { DeployActivities } from '../domain/ports.js';
import { sshDeployer } from './deploy-ssh.js';
import type { Deployer } from './deployer.js';
import { kinds, type RegionVendorArgs, withDefaultKind } from './vendor-choice.js';

const deployers = kinds<Deployer, RegionVendorArgs>()(sshDeployer);

/** Configs written before `kind` existed deploy over SSH. */
export const deployConfigSchema = z.preprocess(withDefaultKind('ssh'), deployers.schema);
export type DeployConfig = z.output<typeof deployConfigSchema>;

export const createDeployer = deployers.create;

export function createDeployActivities(deployer: (region: string) => Deployer): DeployActivities {
  return { deploy: async (req) => deployer(req.ctx.region).deploy(req) };
}
