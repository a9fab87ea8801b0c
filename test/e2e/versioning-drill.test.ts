// The upgrade drill (Worker Versioning, docs/PRODUCTION_READINESS_CHECKLIST.md §7), on the dev
// server with stub activities: a rollout paused in its 25 % stage on build A; build B's worker
// starts and does not take over; B is made current (the `meridian worker-version current` library
// call); a new rollout runs on B; the paused one resumes and completes on A; A reports drained and
// its worker exits by itself. Global setup shortens the server's drainage refresh to seconds.
import { randomBytes } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { regionWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import { run } from '../../client/cli.js';
import { describeDeployment, describeVersion, setCurrentVersion } from '../../client/worker-version.js';
import { pauseSignal, resumeSignal } from '../../workflows/messages.js';
import { startWorker, type RunningWorker } from '../../workers/worker.js';
import { uniqueQueue } from '../helpers/ids.js';
import { unusedConfig } from '../helpers/stub-config.js';
import { StubWorld } from '../helpers/stub-world.js';
import { devServerEnv, workflowBundle } from '../helpers/temporal.js';
import { lastEvents, resultWithin } from '../helpers/workflow-result.js';
import { holdingAt, quick } from '../workflows/harness.js';

const REGION = 'us-east';
/** temporal.api.enums.v1.VersioningBehavior.VERSIONING_BEHAVIOR_PINNED, as describe() returns it. */
const PINNED = 1;
let env: TestWorkflowEnvironment;
const workers: RunningWorker[] = [];

beforeAll(async () => {
  env = await devServerEnv(import.meta.url);
});
afterAll(async () => {
  await Promise.allSettled(workers.map((w) => w.shutdown()));
  await env?.teardown();
});

/** The build a workflow runs on, and how it is bound to it, as the server reports them. */
async function versionOf(workflowId: string) {
  const info = (await env.client.workflow.getHandle(workflowId).describe()).raw.workflowExecutionInfo?.versioningInfo;
  return { buildId: info?.deploymentVersion?.buildId, deploymentName: info?.deploymentVersion?.deploymentName, behavior: info?.behavior };
}

/** Polls `probe` until it returns a value, failing after `ms` with `what` and the workflows' last events. */
async function until<T>(what: string, probe: () => Promise<T | undefined>, ms: number, ids: string[]): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline)
      throw new Error(`${what}: not within ${ms} ms\n${(await Promise.all(ids.map((id) => lastEvents(env.client, id)))).join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('upgrading the worker', () => {
  it('a paused rollout finishes on build A while new rollouts run on build B; A drains and its worker exits', async () => {
    const deploymentName = `drill-${randomBytes(3).toString('hex')}`;
    const taskQueue = uniqueQueue('versioning');
    const { config, secrets } = unusedConfig([REGION]);
    const common = {
      config,
      env: secrets,
      connection: env.nativeConnection,
      client: env.client,
      namespace: env.namespace!,
      taskQueue,
      shutdownGraceMs: 1_000,
    };
    const bundleB = bundleWorkflowCode({
      workflowsPath: new URL('../fixtures/build-b/workflows.ts', import.meta.url).pathname,
      logger: new DefaultLogger('WARN'),
    });

    // Build A: the first worker of the deployment makes its version current by itself.
    const worldA = new StubWorld([REGION]);
    const a = await startWorker({
      ...common,
      workflowBundle: workflowBundle(),
      activityOverrides: worldA.activities(),
      versioning: { deploymentName, drainCheckMs: 500 },
    });
    workers.push(a);
    const buildA = a.version!.buildId;
    expect((await describeDeployment(env.client, deploymentName))?.currentBuildId).toBe(buildA);

    // A rollout on A, paused in its 25 % stage (the pause is in history before the weight change completes).
    const old = quick({ regions: [REGION], stages: holdingAt(25) });
    const oldId = rolloutWorkflowId(old.service);
    const ids = [oldId];
    let oldHandle: WorkflowHandle | undefined;
    worldA.hooks = {
      onSetWeights: async (_r, w) => {
        if (w.green === 25 && !worldA.watches.some((r) => r.hold)) await oldHandle!.signal(pauseSignal, { reason: 'versioning drill' });
      },
    };
    oldHandle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, { taskQueue, workflowId: oldId, args: [old] });
    await until('the old rollout holds at 25 %', async () => (worldA.watching?.hold ? true : undefined), 30_000, ids);

    // Build B: its worker polls the same queue but does not take over while A is current.
    const worldB = new StubWorld([REGION]);
    const b = await startWorker({
      ...common,
      workflowBundle: { code: (await bundleB).code },
      activityOverrides: worldB.activities(),
      versioning: { deploymentName, drainCheckMs: 500 },
    });
    workers.push(b);
    const buildB = b.version!.buildId;
    expect(buildB).not.toBe(buildA);
    expect((await describeDeployment(env.client, deploymentName))?.currentBuildId).toBe(buildA);

    // The operator's step: B current.
    expect(await setCurrentVersion(env.client, { deploymentName, buildId: buildB })).toEqual({
      deploymentName,
      buildId: buildB,
      previousBuildId: buildA,
    });

    // A new rollout runs on B, pinned, its region child too; none of its activities ran on A.
    const fresh = quick({ regions: [REGION] });
    const freshId = rolloutWorkflowId(fresh.service);
    ids.push(freshId);
    const freshHandle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, { taskQueue, workflowId: freshId, args: [fresh] });
    expect((await resultWithin<RolloutResult>(env.client, freshHandle, 60_000)).outcome).toBe('succeeded');
    for (const id of [freshId, regionWorkflowId(fresh.service, REGION)])
      expect(await versionOf(id)).toEqual({ buildId: buildB, deploymentName, behavior: PINNED });
    expect(worldB.callsFor(REGION, 'deploy')).toHaveLength(1);

    // The paused rollout resumes and completes on A, every step of it on A's worker.
    await oldHandle.signal(resumeSignal, {});
    expect((await resultWithin<RolloutResult>(env.client, oldHandle, 60_000)).outcome).toBe('succeeded');
    for (const id of [oldId, regionWorkflowId(old.service, REGION)])
      expect(await versionOf(id)).toEqual({ buildId: buildA, deploymentName, behavior: PINNED });
    expect(worldA.callsFor(REGION, 'setTrafficWeights').map((c) => (c.args as { green: number }).green)).toEqual([10, 25, 50, 75, 100]);
    expect(worldA.callsFor(REGION, 'deploy')).toHaveLength(1);
    expect(worldB.callsFor(REGION, 'setTrafficWeights')).toHaveLength(5);

    // A drains (no open workflow pinned to it) and its worker shuts down by itself; B runs on.
    await until(
      'build A drained',
      async () => ((await describeVersion(env.client, deploymentName, buildA)).status === 'drained' ? true : undefined),
      30_000,
      ids,
    );
    await until(
      "A's worker exits",
      () => Promise.race([a.done.then(() => true), new Promise<undefined>((r) => setTimeout(() => r(undefined), 1_000))]),
      15_000,
      ids,
    );
    expect(b.workers[0]!.getState()).toBe('RUNNING');

    // What `meridian worker-version status` prints of it.
    let out = '';
    const io = {
      out: (t: string) => void (out += t),
      err: (t: string) => void (out += t),
      env: { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: env.namespace! },
      isTTY: false,
      readFile: () => '',
    };
    expect(await run(['worker-version', 'status', '--deployment', deploymentName], io)).toBe(0);
    expect(out).toContain(`deployment ${deploymentName}: current ${buildB}`);
    expect(out).toMatch(new RegExp(`${buildA}\\s+drained`));
  });
});
