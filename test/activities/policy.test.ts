// The parallel policy's count through real Temporal visibility (dev server, search attributes
// registered): rollouts run on stub activities, the count on the real policy activity.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import type { RolloutRequest } from '../../domain/rollout-input.js';
import { createPolicyActivities, successfulDelayedRolloutsQuery } from '../../activities/policy.js';
import { bundleWorkflows, createDevServerEnv } from '../helpers/temporal.js';
import { breachAt, StubWorld } from '../helpers/stub-world.js';
import { request } from '../workflows/harness.js';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let worker: Worker;
let running: Promise<void>;
const world = new StubWorld(['us-east']);
const TASK_QUEUE = 'policy-test';

beforeAll(async () => {
  [env, bundle] = await Promise.all([createDevServerEnv(), bundleWorkflows()]);
  worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: TASK_QUEUE,
    workflowBundle: bundle,
    activities: { ...world.activities(), ...createPolicyActivities(env.client) },
  });
  running = worker.run();
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await env?.teardown();
});

let n = 0;
/** A fast single-region rollout: one canary stage and final validation, milliseconds of timers. */
function fast(overrides: Partial<RolloutRequest>): RolloutRequest {
  return request({
    regions: ['us-east'],
    timeScale: 0.001,
    checkIntervalSeconds: 60,
    stages: [{ weightPct: 100, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 1 }],
    ...overrides,
  });
}

async function rollout(req: RolloutRequest, healthy = true): Promise<RolloutResult> {
  world.weights.set('us-east', { blue: 100, green: 0 });
  world.hooks.metrics = healthy ? undefined : breachAt('us-east', 1);
  return env.client.workflow.execute(WORKFLOW_TYPES.rollout, { taskQueue: TASK_QUEUE, workflowId: `policy-${++n}`, args: [req] });
}

describe('countSuccessfulDelayedRollouts', () => {
  it('builds the documented visibility query', () => {
    expect(successfulDelayedRolloutsQuery('payments-api')).toBe(
      "WorkflowType = 'multiRegionRollout' AND MeridianService = 'payments-api' AND MeridianStrategy = 'delayed' AND MeridianOutcome = 'succeeded'",
    );
  });

  it('refuses a service name that could change the query', async () => {
    const { countSuccessfulDelayedRollouts } = createPolicyActivities(env.client);
    for (const bad of ["x' OR MeridianService != 'y", 'Payments', '']) {
      await expect(countSuccessfulDelayedRollouts(bad)).rejects.toMatchObject({ type: 'InvalidArgument', nonRetryable: true });
    }
  });

  it('counts only successful delayed rollouts of the service', async () => {
    // Counted: two successful delayed rollouts of policy-a. Not counted: a rolled-back one,
    // a successful sequential one, and another service's.
    expect((await rollout(fast({ service: 'policy-a', strategy: 'delayed' }))).outcome).toBe('succeeded');
    expect((await rollout(fast({ service: 'policy-a', strategy: 'delayed' }))).outcome).toBe('succeeded');
    expect((await rollout(fast({ service: 'policy-a', strategy: 'delayed' }), false)).outcome).toBe('rolled_back');
    expect((await rollout(fast({ service: 'policy-a', strategy: 'sequential' }))).outcome).toBe('succeeded');
    expect((await rollout(fast({ service: 'policy-b', strategy: 'delayed' }))).outcome).toBe('succeeded');

    // Visibility is eventually consistent: wait until every closed rollout is indexed, then count.
    await expect
      .poll(async () => (await env.client.workflow.count("WorkflowType = 'multiRegionRollout' AND ExecutionStatus = 'Completed' AND MeridianOutcome IS NOT NULL")).count, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe(5);
    const { countSuccessfulDelayedRollouts } = createPolicyActivities(env.client);
    expect(await countSuccessfulDelayedRollouts('policy-a')).toBe(2);
    expect(await countSuccessfulDelayedRollouts('policy-b')).toBe(1);
    expect(await countSuccessfulDelayedRollouts('policy-c')).toBe(0);
  });

  it('the parallel policy refuses a service with too few on record, through the workflow', async () => {
    const err = await rollout(fast({ service: 'policy-a', strategy: 'parallel' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe('ParallelPolicy');
    expect(cause.message).toContain('found 2');
  });
});
