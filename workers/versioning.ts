// Worker Versioning for the central worker: it polls as version { deploymentName, buildId } with
// every workflow PINNED, so a rollout and its region children finish on the build they started on.
// First install: with no current version yet, the worker makes its own current once registered.
// Upgrade: a new build's worker never takes over by itself (an operator runs `meridian
// worker-version current`); an old build's worker exits once its version is drained.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { Runtime, type WorkerDeploymentOptions } from '@temporalio/worker';
import { describeDeployment, describeVersion, setCurrentVersion } from '../client/worker-version.js';

export interface Versioning {
  deploymentName: string;
  buildId: string;
  /** How often the worker asks whether its version is drained (default 30 s). */
  drainCheckMs: number;
}

export const deploymentOptions = (v: Versioning): WorkerDeploymentOptions => ({
  useWorkerVersioning: true,
  version: { deploymentName: v.deploymentName, buildId: v.buildId },
  defaultVersioningBehavior: 'PINNED',
});

const log = () => Runtime.instance().logger;

/** Whether the server registered this version on `taskQueue` for both workflow and activity tasks (each type's first poll does). */
async function registered(client: Client, v: Versioning, taskQueue: string): Promise<boolean> {
  const view = await describeVersion(client, v.deploymentName, v.buildId).catch(() => undefined);
  return ['workflow', 'activity'].every((type) => view?.taskQueues?.includes(`${taskQueue}/${type}`));
}

/**
 * Waits until the server registered this version on the queue (workflow and activity tasks: the
 * server refuses to make current a version missing a queue type the current one has), then, if
 * the deployment has no current version, makes it current; if another build is current, says so
 * and leaves it. Resolves once new workflows on the queue reach this worker or another build's.
 */
export async function takeCurrentIfNone(
  client: Client,
  v: Versioning,
  taskQueue: string,
  timeoutMs = 60_000,
): Promise<'current' | 'was-current' | 'not-current'> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await describeDeployment(client, v.deploymentName);
    const mine = d?.versions.some((x) => x.buildId === v.buildId) && (await registered(client, v, taskQueue));
    if (d && mine && d.currentBuildId === v.buildId) return 'was-current';
    if (d && mine && d.currentBuildId) {
      log().warn(
        `worker build ${v.buildId} is not current in deployment ${v.deploymentName} (${d.currentBuildId} is): ` +
          'it runs only rollouts pinned to it; an operator makes it current with ' +
          `\`meridian worker-version current --build-id ${v.buildId}\``,
        { ...v },
      );
      return 'not-current';
    }
    if (d && mine) {
      // First install: nothing current. The conflict token makes a concurrent first worker of another build lose cleanly.
      const made = await setCurrentVersion(client, {
        deploymentName: v.deploymentName,
        buildId: v.buildId,
        conflictToken: d.conflictToken,
      }).catch((err: Error) => err);
      if (!(made instanceof Error)) {
        log().info(`worker build ${v.buildId} made current in deployment ${v.deploymentName} (first install: none was)`, { ...v });
        return 'current';
      }
      if (Date.now() > deadline) throw made;
    }
    if (Date.now() > deadline)
      throw new Error(
        `worker deployment ${v.deploymentName}: version ${v.buildId} not registered within ${timeoutMs} ms ` +
          '(does the server support Worker Versioning, 1.28+?)',
      );
    await sleep(200);
  }
}

/** Every `drainCheckMs`, asks whether this version is drained (not current, no open pinned workflow); if so calls `stop` once. */
export function stopWhenDrained(client: Client, v: Versioning, stop: () => void): () => void {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const check = async () => {
    const view = await describeVersion(client, v.deploymentName, v.buildId).catch(
      (err: Error) => (log().debug('drainage check failed', { error: err.message }), undefined),
    );
    if (stopped) return;
    if (view?.status === 'drained') {
      log().info(
        `worker build ${v.buildId} is drained in deployment ${v.deploymentName} (not current, no open rollout pinned to it): shutting down`,
        { ...v },
      );
      stopped = true;
      stop();
      return;
    }
    timer = setTimeout(() => void check(), v.drainCheckMs);
  };
  timer = setTimeout(() => void check(), v.drainCheckMs);
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}
