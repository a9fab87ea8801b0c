// The parallel policy's count through real Temporal visibility (dev server, search attributes
// registered): rollouts run on stub activities, the count on the real policy activity.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import type { RolloutRequest } from '../../domain/rollout-input.js';
import { createPolicyActivities, successfulDelayedRolloutsQuery } from '../../activities/policy.js';
import { devServerEnv } from '../helpers/temporal.js';
import { uniqueService } from '../helpers/ids.js';
import { resultWithin } from '../helpers/workflow-result.js';
import { breachAt, StubWorld } from '../helpers/stub-world.js';
import { request, workerOn } from '../workflows/harness.js';

let env: TestWorkflowEnvironment;
let worker: Worker;
let running: Promise<void>;
const world = new StubWorld(['us-east']);
const TASK_QUEUE = 'policy-test';

beforeAll(async () => {
  env = await devServerEnv(import.meta.url);
  worker = await Worker.create({
    ...workerOn(env),
    taskQueue: TASK_QUEUE,
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
function fast(overrides: Partial<RolloutRequest> & { service: string }): RolloutRequest & { service: string } {
  return request({
    regions: ['us-east'],
    timeScale: 0.001,
    checkIntervalSeconds: 60,
    stages: [{ weightPct: 100, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 1 }],
    ...overrides,
  });
}

async function rollout(req: RolloutRequest & { service: string }, healthy = true): Promise<RolloutResult> {
  world.weights.set('us-east', { blue: 100, green: 0 });
  world.hooks.metrics = healthy ? undefined : breachAt('us-east', 1);
  const handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, { taskQueue: TASK_QUEUE, workflowId: `${rolloutWorkflowId(req.service)}-${++n}`, args: [req] });
  return resultWithin<RolloutResult>(env.client, handle);
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

  it('counts only successful delayed rollouts of the service, and the parallel policy reads that count', async () => {
    // Counted: two successful delayed rollouts of service a. Not counted: a rolled-back one,
    // a successful sequential one, and another service's.
    const [a, b, c] = ['policy-a', 'policy-b', 'policy-c'].map(uniqueService) as [string, string, string];
    expect((await rollout(fast({ service: a, strategy: 'delayed' }))).outcome).toBe('succeeded');
    expect((await rollout(fast({ service: a, strategy: 'delayed' }))).outcome).toBe('succeeded');
    expect((await rollout(fast({ service: a, strategy: 'delayed' }), false)).outcome).toBe('rolled_back');
    expect((await rollout(fast({ service: a, strategy: 'sequential' }))).outcome).toBe('succeeded');
    expect((await rollout(fast({ service: b, strategy: 'delayed' }))).outcome).toBe('succeeded');

    // Visibility is eventually consistent: wait until every closed rollout is indexed, then count.
    await expect
      .poll(async () => (await env.client.workflow.count("WorkflowType = 'multiRegionRollout' AND ExecutionStatus = 'Completed' AND MeridianOutcome IS NOT NULL")).count, {
        timeout: 30_000,
        interval: 250,
      })
      .toBe(5);
    const { countSuccessfulDelayedRollouts } = createPolicyActivities(env.client);
    expect(await countSuccessfulDelayedRollouts(a)).toBe(2);
    expect(await countSuccessfulDelayedRollouts(b)).toBe(1);
    expect(await countSuccessfulDelayedRollouts(c)).toBe(0);

    // Through the workflow: parallel is refused for a service with too few on record.
    const err = await rollout(fast({ service: a, strategy: 'parallel' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe('ParallelPolicy');
    expect(cause.message).toContain('found 2');
  });
});
