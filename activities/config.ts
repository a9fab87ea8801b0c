// The worker's configuration: one JSON file of non-secret settings (regions, vendors, links),
// composed from each activity's own config schema, plus secrets from the environment only.
// Both are checked when the worker starts, so a typo stops it with the field or variable named,
// instead of failing a rollout halfway through a region.
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { formatIssues, regionName, roleName } from '../domain/rollout-input.js';
import { GrafanaConfigSchema } from './annotate-grafana.js';
import { CardLinksSchema } from './cards.js';
import { checkSecrets } from './config-secrets.js';
import { createDeployer, deployConfigSchema } from './deploy.js';
import { dnsConfigSchema } from './dns.js';
import { metricsConfigSchema } from './metrics.js';
import { NotifyConfigSchema } from './notify.js';
import { pushgatewayConfigSchema } from './pushgateway.js';
import type { Env } from './secrets.js';
import { createTrafficRouter, trafficConfigSchema } from './traffic.js';

export const DEFAULT_CONFIG_PATH = 'meridian.config.json';

/** Temporal's names: letters, digits, '-', '_' (a deployment name) and '.' too (a build ID, e.g. a release tag). */
const deploymentName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/, 'must be letters, digits, "-" or "_" (at most 100), e.g. "meridian"');
const buildIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/, 'must be letters, digits, ".", "-" or "_" (at most 100), e.g. "v1.4.0"');

/**
 * Worker Versioning (docs/PRODUCTION_READINESS_CHECKLIST.md §7): the central worker runs as a
 * version of this Worker Deployment; the build ID is the workflow code's hash unless set here or
 * in MERIDIAN_BUILD_ID (which wins).
 */
const workerDeploymentSchema = z.strictObject({
  name: deploymentName.default('meridian'),
  buildId: buildIdSchema.optional(),
});

const regionConfigSchema = z.strictObject({
  deploy: deployConfigSchema,
  traffic: trafficConfigSchema,
  metrics: metricsConfigSchema,
  dns: dnsConfigSchema.optional(),
});
export type RegionConfig = z.output<typeof regionConfigSchema>;

const workerConfigSchema = z.strictObject({
  regions: z.record(regionName, regionConfigSchema).refine((r) => Object.keys(r).length > 0, 'configure at least one region'),
  /** Links on every card (dashboards, logs, the Temporal UI). */
  links: CardLinksSchema,
  notify: NotifyConfigSchema.omit({ links: true, grafana: true }).prefault({}),
  grafana: GrafanaConfigSchema.prefault({}),
  pushgateway: pushgatewayConfigSchema,
  /**
   * Who may approve each role, e.g. { "sre": ["alice", "bob"] }: kept here, not in the rollout
   * input, so the requester cannot name their own approvers. Absent: any name is taken.
   */
  approvers: z.record(roleName, z.array(z.string().trim().min(1, 'must name a person')).min(1, 'list at least one approver')).optional(),
  workerDeployment: workerDeploymentSchema.prefault({}),
});
export type WorkerConfig = z.output<typeof workerConfigSchema>;

/** The worker cannot start: every message names a config field or an environment variable, never a value. */
export class WorkerConfigError extends Error {
  override readonly name = 'WorkerConfigError';
  constructor(
    readonly source: string,
    readonly problems: string[],
  ) {
    super(`${source}:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

export interface LoadedConfig {
  config: WorkerConfig;
  /** Regions this worker serves: all configured ones unless narrowed. */
  regions: string[];
  /** Worth knowing, not worth refusing to start (e.g. no notification channel). */
  warnings: string[];
}

/**
 * A fleet's hosts are its balancer's servers by name: a failed host is taken out by its name, and a
 * server with no deploy host behind it would take traffic without the release. A colour of one host
 * behind one server needs no match (its host is never taken out: the minimum is at least one).
 */
function fleetMismatches(region: string, rc: RegionConfig, env: Env): string[] {
  const hosts = createDeployer(rc.deploy, env, region);
  const { servers } = createTrafficRouter(rc.traffic, env, region);
  return (['blue', 'green'] as const).flatMap((colour) => {
    const [h, s] = [hosts.hosts(colour), servers[colour]];
    if (h.length === 1 && s.length === 1) return [];
    const missing = h.filter((n) => !s.includes(n));
    const extra = s.filter((n) => !h.includes(n));
    if (!missing.length && !extra.length) return [];
    const what = [missing.length ? `no server for ${missing.join(', ')}` : '', extra.length ? `no deploy host for ${extra.join(', ')}` : '']
      .filter(Boolean)
      .join('; ');
    return [`regions.${region}.traffic.servers.${colour}: must name the ${colour} deploy hosts: ${what}`];
  });
}

/** Validates already-parsed JSON; see loadWorkerConfig. */
export function parseWorkerConfig(raw: unknown, env: Env, opts: { source?: string; regions?: string[] } = {}): LoadedConfig {
  const source = opts.source ?? 'worker config';
  const parsed = workerConfigSchema.safeParse(raw);
  if (!parsed.success) throw new WorkerConfigError(`invalid ${source}`, formatIssues(parsed.error.issues));
  const config = parsed.data;
  if (env.MERIDIAN_BUILD_ID !== undefined) {
    const buildId = buildIdSchema.safeParse(env.MERIDIAN_BUILD_ID);
    if (!buildId.success)
      throw new WorkerConfigError('invalid MERIDIAN_BUILD_ID', [`MERIDIAN_BUILD_ID: ${buildId.error.issues[0]!.message}`]);
    config.workerDeployment.buildId = buildId.data;
  }
  const configured = Object.keys(config.regions);
  const regions = opts.regions ?? configured;
  const unknown = regions.filter((r) => !configured.includes(r));
  if (unknown.length) {
    throw new WorkerConfigError(
      `invalid ${source}`,
      unknown.map((r) => `regions.${r}: not configured, but MERIDIAN_REGIONS asks this worker to serve it`),
    );
  }
  const mismatched = Object.entries(config.regions).flatMap(([r, rc]) => fleetMismatches(r, rc, env));
  if (mismatched.length) throw new WorkerConfigError(`invalid ${source}`, mismatched);
  const { problems, warnings } = checkSecrets(config, regions, env);
  if (problems.length) throw new WorkerConfigError('missing or malformed secrets in the environment', problems);
  return { config, regions, warnings };
}

/** Reads and validates the config file and the environment's secrets; throws WorkerConfigError. */
export function loadWorkerConfig(path: string, env: Env, opts: { regions?: string[] } = {}): LoadedConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const hint = code === 'ENOENT' ? ' (set MERIDIAN_CONFIG to its path)' : '';
    throw new WorkerConfigError(`cannot read worker config ${path}`, [`${code ?? 'read error'}${hint}`]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    // JSON.parse's message quotes the offending text: keep only its position, the file may be a secret's neighbour.
    const at = /position \d+(?: \(line \d+ column \d+\))?/.exec((err as Error).message)?.[0];
    throw new WorkerConfigError(`cannot parse worker config ${path}`, [`not valid JSON${at ? ` at ${at}` : ''}`]);
  }
  return parseWorkerConfig(raw, env, { source: `worker config ${path}`, regions: opts.regions });
}
