// Deploys per region through whichever deployer the region's config names (`deploy.kind`, default
// "ssh"); each vendor file returns the region's DeployActivities (domain/ports.ts), the seam's
// interface. A second vendor is one file plus one line in each of the two places below.
import { z } from 'zod';
import type { DeployActivities } from '../domain/ports.js';
import { createSshDeployer, sshDeployConfigSchema } from './deploy-ssh.js';
import type { Env } from './secrets.js';
import { byKind, withDefaultKind } from './vendor-choice.js';

/** Configs written before `kind` existed deploy over SSH. */
export const deployConfigSchema = z.preprocess(withDefaultKind('ssh'), z.discriminatedUnion('kind', [sshDeployConfigSchema.extend({ kind: z.literal('ssh') })]));
export type DeployConfig = z.output<typeof deployConfigSchema>;

export const createDeployer = byKind<DeployConfig, [Env], DeployActivities>({ ssh: createSshDeployer });
