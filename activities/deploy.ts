// The deploy concern: the factory that builds a region's Deployer by `deploy.kind` (default "ssh"),
// and the activity, which deploys each request's fleet in batches with its region's deployer.
import { z } from 'zod';
import type { DeployActivities } from '../domain/ports.js';
import { sshDeployer } from './deploy-ssh.js';
import type { Deployer } from './deployer.js';
import { deployBatches, Sessions } from './deploy-batches.js';
import { kinds, type RegionVendorArgs, withDefaultKind } from './vendor-choice.js';

const deployers = kinds<Deployer, RegionVendorArgs>()(sshDeployer);

/** Configs written before `kind` existed deploy over SSH. */
export const deployConfigSchema = z.preprocess(withDefaultKind('ssh'), deployers.schema);
export type DeployConfig = z.output<typeof deployConfigSchema>;

export const createDeployer = deployers.create;

/** SSH sessions one worker opens at once for deploys, across every rollout it runs. */
export const WORKER_DEPLOY_SESSIONS = 50;

export function createDeployActivities(deployer: (region: string) => Deployer, workerSessions = WORKER_DEPLOY_SESSIONS): DeployActivities {
  const sessions = new Sessions(workerSessions);
  return { deploy: async (req) => deployBatches(deployer(req.ctx.region), req, sessions) };
}
