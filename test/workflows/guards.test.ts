// What a rollout refuses or walks past without operator input, on the time-skipping server (its
// waits are hours long and nothing here signals): an approval nobody gives, a second start,
// bad input, the parallel policy, dry runs and regional task queues.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionTaskQueue, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import type { MeridianActivities } from '../../domain/ports.js';
import { createTimeSkippingEnv } from '../helpers/temporal.js';
import { StubWorld } from '../helpers/stub-world.js';
import { uniqueQueue } from '../helpers/ids.js';
import { resultWithin } from '../helpers/workflow-result.js';
import { REGIONS, request, runRollout, workerOn } from './harness.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => env?.teardown());

const greenOf = (w: StubWorld, r: string) => w.callsFor(r, 'setTrafficWeights').map((c) => (c.args as { green: number }).green);

describe('approvals', () => {
  it('a gate nobody opens in time aborts that region without touching it, and skips the rest', async () => {
    const { result, world } = await runRollout(
      env,
      request({ strategy: 'sequential', approvals: { roles: ['sre'], regions: ['eu-west'], timeoutMinutes: 60 } }),
    );
    expect(result.regions['us-east']!.outcome).toBe('succeeded');
    expect(result.regions['eu-west']).toMatchObject({ outcome: 'aborted', stageReached: 0 });
    expect(result.regions['eu-west']!.reason).toMatch(/approval timed out after 60 min \(missing: sre\)/);
    expect(world.callsFor('eu-west', 'deploy')).toHaveLength(0);
    expect(world.callsFor('eu-west', 'setTrafficWeights')).toHaveLength(0);
    expect(result.regions['apac-se']!.outcome).toBe('skipped');
  });
});

/** Runs a worker over a fresh world until `body` settles. */
async function withWorker<T>(
  regions: string[],
  body: (taskQueue: string, world: StubWorld) => Promise<T>,
  world = new StubWorld(regions),
  activities = (w: StubWorld) => w.activities(),
): Promise<T> {
  const taskQueue = uniqueQueue('guards');
  const worker = await Worker.create({ ...workerOn(env), taskQueue, activities: activities(world) });
  return worker.runUntil(body(taskQueue, world));
}

/** The rollout's failure, or undefined if it succeeded. */
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as WorkflowFailedError,
  );

describe('one rollout per service, and input', () => {
  it('a second start for the same service is refused while the first runs', async () => {
    const req = request({ regions: ['us-east'] });
    await withWorker(['us-east'], async (taskQueue) => {
      const opts = { taskQueue, workflowId: rolloutWorkflowId(req.service), workflowIdConflictPolicy: 'FAIL' as const, args: [req] };
      const first = await env.client.workflow.start(WORKFLOW_TYPES.rollout, opts);
      await expect(env.client.workflow.start(WORKFLOW_TYPES.rollout, opts)).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      await resultWithin(env.client, first);
    });
  });

  it.each([
    [{ version: 'v1; rm -rf /' }, 'version: must be a release tag'],
    [{ artifact: { url: 'ftp://x/y', sha256: 'a'.repeat(64) } }, 'artifact.url: must be an http(s) URL'],
    [{ strategy: 'yolo' }, 'strategy:'],
    [{ delayBetweenRegionsMinutes: 10 }, 'delayBetweenRegionsMinutes:'],
    [{ strategy: 'sequential', delayBetweenRegionsMinutes: 60 }, 'delayBetweenRegionsMinutes: only applies to strategy "delayed"'],
    [
      {
        stages: [
          { weightPct: 50, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 5 },
          { weightPct: 25, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 5 },
        ],
      },
      'stages[1].weightPct: must be greater than',
    ],
    [{ colour: 'green' }, 'unknown field "colour"'],
  ])('bad input %j is refused before any side effect, naming the field', async (bad: Record<string, unknown>, message) => {
    const req = request();
    const err = await withWorker(
      REGIONS,
      async (taskQueue, world) => {
        const e = await failureOf(
          env.client.workflow.execute(WORKFLOW_TYPES.rollout, {
            taskQueue,
            workflowId: rolloutWorkflowId(req.service),
            args: [{ ...req, ...bad }],
          }),
        );
        expect(world.calls).toHaveLength(0);
        return e;
      },
      new StubWorld(REGIONS),
    );
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect(err?.cause?.message).toContain(message);
  });

  it('runs on the request as the worker parsed it, not on a parse of its own', async () => {
    // This worker's parse makes the request a parallel one, which the policy refuses at once.
    const twisted = (w: StubWorld): MeridianActivities => {
      const acts = w.activities();
      const workerSetup: MeridianActivities['workerSetup'] = async (r) => {
        const answer = await acts.workerSetup(r);
        return { ...answer, input: { ...answer.input!, strategy: 'parallel' } };
      };
      return { ...acts, workerSetup };
    };
    const req = request();
    const err = await withWorker(
      REGIONS,
      (taskQueue) =>
        failureOf(
          env.client.workflow.execute(WORKFLOW_TYPES.rollout, { taskQueue, workflowId: rolloutWorkflowId(req.service), args: [req] }),
        ),
      undefined,
      twisted,
    );
    expect(err?.cause?.message).toMatch(/strategy "parallel" needs 5 successful delayed rollouts/);
  });
});

describe('parallel policy', () => {
  it('refuses parallel with fewer than 5 successful delayed rollouts on record, before any side effect', async () => {
    const req = request({ strategy: 'parallel' });
    const world = new StubWorld(REGIONS, { delayedRolloutsOnRecord: 4 });
    const err = await withWorker(
      REGIONS,
      (taskQueue) =>
        failureOf(
          env.client.workflow.execute(WORKFLOW_TYPES.rollout, { taskQueue, workflowId: rolloutWorkflowId(req.service), args: [req] }),
        ),
      world,
    );
    expect(err?.cause?.message).toMatch(new RegExp(`needs 5 successful delayed rollouts of ${req.service} on record; found 4`));
    expect(world.calls.filter((c) => c.name !== 'countSuccessfulDelayedRollouts')).toHaveLength(0);
  });

  it('an explicit override lets an emergency parallel rollout through without asking', async () => {
    const { result, world } = await runRollout(
      env,
      request({ strategy: 'parallel', parallelPolicyOverride: { reason: 'security fix CVE-2026-1234' } }),
    );
    expect(result.outcome).toBe('succeeded');
    expect(world.calls.some((c) => c.name === 'countSuccessfulDelayedRollouts')).toBe(false);
  });
});

describe('dry run', () => {
  it('walks the whole plan while changing nothing', async () => {
    const { result, world } = await runRollout(env, request({ dryRun: true }));
    expect(result.outcome).toBe('succeeded');
    for (const r of REGIONS) {
      expect(result.regions[r]).toMatchObject({ outcome: 'succeeded', dryRun: true, stageReached: 100 });
      expect(world.weights.get(r)).toEqual({ blue: 100, green: 0 });
      expect(world.dns.get(r)).toBe('blue');
      expect(greenOf(world, r)).toEqual([10, 25, 50, 75, 100]);
    }
    expect(world.deployed.size).toBe(0);
    expect(world.cards.every((c) => c.dryRun)).toBe(true);
  });
});

describe('regional task queues', () => {
  it("regionTaskQueues sends each region's activities to the worker inside that region", async () => {
    const req = request({ regions: ['us-east'], regionTaskQueues: true });
    const inRegion = new StubWorld(['us-east']);
    const central = new StubWorld(['us-east']);
    const result = await withWorker(
      ['us-east'],
      async (taskQueue) => {
        const regional = await Worker.create({
          connection: env.nativeConnection,
          taskQueue: regionTaskQueue(taskQueue, 'us-east'),
          activities: inRegion.activities(),
        });
        return regional.runUntil(
          env.client.workflow.execute(WORKFLOW_TYPES.rollout, { taskQueue, workflowId: rolloutWorkflowId(req.service), args: [req] }),
        ) as Promise<RolloutResult>;
      },
      central,
    );
    expect(result.outcome).toBe('succeeded');
    expect(inRegion.callsFor('us-east', 'deploy')).toHaveLength(1);
    expect(inRegion.weights.get('us-east')).toEqual({ blue: 0, green: 100 });
    // Only reporting stays central.
    expect(new Set(central.calls.map((c) => c.name))).toEqual(new Set(['notify', 'annotate']));
  });
});
