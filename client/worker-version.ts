// Worker Versioning: the central workers run as one Worker Deployment (default name "meridian"),
// one version per build, and every rollout (and its region children) is pinned to the build it
// started on. These read and steer the deployment through the WorkflowService API (server 1.28+;
// the project's CLI 1.9.1 runs server 1.32): `meridian worker-version` and the worker use them.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';

export const DEFAULT_DEPLOYMENT_NAME = 'meridian';

/** temporal.api.enums.v1.WorkerDeploymentVersionStatus, as the API returns it (a number). */
const VERSION_STATUS = ['unspecified', 'inactive', 'current', 'ramping', 'draining', 'drained'] as const;
type VersionStatus = (typeof VERSION_STATUS)[number];
/** temporal.api.enums.v1.VersionDrainageStatus. */
const DRAINAGE = ['unspecified', 'draining', 'drained'] as const;
type Drainage = (typeof DRAINAGE)[number];

export interface VersionView {
  buildId: string;
  /** inactive (never current), current, ramping, draining (pinned workflows still open), drained. */
  status: VersionStatus;
  /** Set once the version stopped being current or ramping: draining until no pinned workflow is open. */
  drainage?: Drainage;
  /** When the server last counted the version's open workflows (drainage refreshes every few minutes). */
  drainageCheckedAt?: string;
  createdAt?: string;
  /** describeVersion only: the task queues its workers registered, e.g. "meridian/workflow". */
  taskQueues?: string[];
}

/** temporal.api.enums.v1.TaskQueueType. */
const TASK_QUEUE_TYPE = ['unspecified', 'workflow', 'activity', 'nexus'] as const;

export interface DeploymentView {
  name: string;
  /** The build new rollouts start on; undefined: none yet (new rollouts go to unversioned workers). */
  currentBuildId?: string;
  rampingBuildId?: string;
  versions: VersionView[];
  /** The last change of current or ramping version has reached every task queue partition. */
  routed?: boolean;
}

type Timestamp = { seconds?: { toString(): string } | number | null; nanos?: number | null } | null | undefined;
const iso = (t: Timestamp) =>
  t?.seconds != null ? new Date(Number(t.seconds.toString()) * 1000 + Math.round((t.nanos ?? 0) / 1e6)).toISOString() : undefined;
const statusOf = (n: number | null | undefined): VersionStatus => VERSION_STATUS[n ?? 0] ?? 'unspecified';
const drainageOf = (n: number | null | undefined): Drainage | undefined => (n ? (DRAINAGE[n] ?? 'unspecified') : undefined);
/** temporal.api.enums.v1.RoutingConfigUpdateState.IN_PROGRESS: a routing change not yet on every partition. */
const ROUTING_IN_PROGRESS = 1;
/** gRPC NOT_FOUND. */
const notFound = (err: unknown) => (err as { code?: number }).code === 5;

function versionView(v: temporal.api.deployment.v1.WorkerDeploymentInfo.IWorkerDeploymentVersionSummary): VersionView {
  const drainage = drainageOf(v.drainageInfo?.status ?? v.drainageStatus);
  const checked = iso(v.drainageInfo?.lastCheckedTime);
  const created = iso(v.createTime);
  return {
    buildId: v.deploymentVersion?.buildId ?? '',
    status: statusOf(v.status),
    ...(drainage ? { drainage } : {}),
    ...(checked ? { drainageCheckedAt: checked } : {}),
    ...(created ? { createdAt: created } : {}),
  };
}

/** The deployment with each version's status and drainage; undefined if no worker of it ever polled. */
export async function describeDeployment(
  client: Client,
  deploymentName = DEFAULT_DEPLOYMENT_NAME,
): Promise<(DeploymentView & { conflictToken: Uint8Array | null }) | undefined> {
  const res = await client.workflowService
    .describeWorkerDeployment({ namespace: client.options.namespace, deploymentName })
    .catch((err: unknown) => {
      if (notFound(err)) return undefined;
      throw err;
    });
  if (!res) return undefined;
  const info = res.workerDeploymentInfo;
  const routing = info?.routingConfig;
  const current = routing?.currentDeploymentVersion?.buildId;
  const ramping = routing?.rampingDeploymentVersion?.buildId;
  return {
    name: deploymentName,
    ...(current ? { currentBuildId: current } : {}),
    ...(ramping ? { rampingBuildId: ramping } : {}),
    versions: (info?.versionSummaries ?? []).map(versionView).sort((a, b) => (a.createdAt ?? '').localeCompare(b.createdAt ?? '')),
    conflictToken: res.conflictToken ?? null,
    routed: info?.routingConfigUpdateState !== ROUTING_IN_PROGRESS,
  };
}

/** One version's status and drainage (the worker's own check before it exits). */
export async function describeVersion(client: Client, deploymentName: string, buildId: string): Promise<VersionView> {
  const res = await client.workflowService.describeWorkerDeploymentVersion({
    namespace: client.options.namespace,
    deploymentVersion: { deploymentName, buildId },
  });
  const info = res.workerDeploymentVersionInfo;
  const drainage = drainageOf(info?.drainageInfo?.status);
  const checked = iso(info?.drainageInfo?.lastCheckedTime);
  const taskQueues = (info?.taskQueueInfos ?? []).map((q) => `${q.name ?? ''}/${TASK_QUEUE_TYPE[q.type ?? 0] ?? 'unspecified'}`);
  return {
    buildId,
    status: statusOf(info?.status),
    ...(drainage ? { drainage } : {}),
    ...(checked ? { drainageCheckedAt: checked } : {}),
    taskQueues,
  };
}

export interface SetCurrentOptions {
  deploymentName?: string;
  /** Default: the newest version that is not current (the build whose workers just started). */
  buildId?: string;
  /** From describeDeployment: refuse if the deployment changed since (another worker or operator). */
  conflictToken?: Uint8Array | null;
}

/**
 * Makes a build current: new rollouts start on it, running ones stay on their own build. The
 * server refuses a version whose workers have not polled yet (start them first).
 */
export async function setCurrentVersion(
  client: Client,
  o: SetCurrentOptions = {},
): Promise<{ deploymentName: string; buildId: string; previousBuildId?: string }> {
  const deploymentName = o.deploymentName ?? DEFAULT_DEPLOYMENT_NAME;
  let buildId = o.buildId;
  if (!buildId) {
    const d = await describeDeployment(client, deploymentName);
    if (!d)
      throw new Error(
        `no worker deployment "${deploymentName}" in namespace ${client.options.namespace}: start the new build's workers first`,
      );
    const candidates = d.versions.filter((v) => v.buildId !== d.currentBuildId && v.status !== 'drained' && v.status !== 'draining');
    if (!candidates.length)
      throw new Error(
        `deployment "${deploymentName}": no version besides the current one (${d.currentBuildId ?? 'none'}) ` +
          'to make current; pass --build-id',
      );
    buildId = candidates[candidates.length - 1]!.buildId;
  }
  const res = await client.workflowService.setWorkerDeploymentCurrentVersion({
    namespace: client.options.namespace,
    deploymentName,
    buildId,
    identity: client.options.identity ?? 'meridian',
    ...(o.conflictToken ? { conflictToken: o.conflictToken } : {}),
  });
  // The change reaches every task queue partition asynchronously: until it has, a new rollout may
  // still start on the old build. Return once it has (or after 30 s, when the server says nothing).
  for (let deadline = Date.now() + 30_000; Date.now() < deadline; await sleep(200)) {
    const d = await describeDeployment(client, deploymentName);
    if (d?.routed && d.currentBuildId === buildId) break;
  }
  const previous = res.previousDeploymentVersion?.buildId;
  return { deploymentName, buildId, ...(previous ? { previousBuildId: previous } : {}) };
}

/** `meridian worker-version status`, as text. */
export function renderDeployment(d: DeploymentView | undefined, deploymentName: string): string[] {
  if (!d) return [`deployment ${deploymentName}: no worker of it has polled this namespace yet`];
  const lines = [`deployment ${d.name}: current ${d.currentBuildId ?? 'none'}${d.rampingBuildId ? `, ramping ${d.rampingBuildId}` : ''}`];
  for (const v of d.versions) {
    const drain = v.drainage ? `  drainage ${v.drainage}${v.drainageCheckedAt ? ` (checked ${v.drainageCheckedAt})` : ''}` : '';
    lines.push(`  ${v.buildId.padEnd(20)} ${v.status.padEnd(9)}${v.createdAt ? ` since ${v.createdAt}` : ''}${drain}`.trimEnd());
  }
  return lines;
}
