// The parallel policy's count through real Temporal visibility (dev server, search attributes
// registered): a drill runs on stub activities, the count on the real policy activity.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_TYPES, rolloutWorkflowId, SEARCH_ATTRIBUTE_KEYS, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import type { RolloutRequest } from '../../domain/rollout-input.js';
import type { Strategy } from '../../domain/strategy.js';
import { createPolicyActivities, successfulDelayedRolloutsQuery } from '../../activities/policy.js';
import { devServerEnv } from '../helpers/temporal.js';
import { uniqueQueue, uniqueService } from '../helpers/ids.js';
import { resultWithin } from '../helpers/workflow-result.js';
import { StubWorld } from '../helpers/stub-world.js';
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

async function rollout(req: RolloutRequest & { service: string }): Promise<{ handle: WorkflowHandle; result: RolloutResult }> {
  world.weights.set('us-east', { blue: 100, green: 0 });
  const handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, {
    taskQueue: TASK_QUEUE,
    workflowId: `${rolloutWorkflowId(req.service)}-${++n}`,
    args: [req],
  });
  return { handle, result: await resultWithin<RolloutResult>(env.client, handle) };
}

/**
 * A rollout on record as visibility holds it (service, strategy, MeridianOutcome), without its
 * hours of waits: started on a queue no worker polls, with the attributes the workflow would set, then terminated.
 */
async function onRecord(service: string, strategy: Strategy, outcome: string): Promise<void> {
  const k = SEARCH_ATTRIBUTE_KEYS;
  const handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, {
    taskQueue: uniqueQueue('policy-records'),
    workflowId: `${rolloutWorkflowId(service)}-${++n}`,
    args: [fast({ service, strategy })],
    typedSearchAttributes: [
      { key: k.service, value: service },
      { key: k.strategy, value: strategy },
      { key: k.outcome, value: outcome },
    ],
  });
  await handle.terminate('a record for the policy count');
}

describe('countSuccessfulDelayedRollouts', () => {
  it('builds the documented visibility query', () => {
    expect(successfulDelayedRolloutsQuery('payments-api')).toBe(
      "WorkflowType = 'multiRegionRollout' AND MeridianService = 'payments-api' " +
        "AND MeridianStrategy = 'delayed' AND MeridianOutcome = 'succeeded'",
    );
  });

  it('refuses a service name that could change the query', async () => {
    const { countSuccessfulDelayedRollouts } = createPolicyActivities(env.client);
    for (const bad of ["x' OR MeridianService != 'y", 'Payments', '']) {
      await expect(countSuccessfulDelayedRollouts(bad)).rejects.toMatchObject({ type: 'InvalidArgument', nonRetryable: true });
    }
  });

  it('counts only successful delayed rollouts of the service (no drills, no dry runs); the parallel policy reads it', async () => {
    const [a, b, c] = ['policy-a', 'policy-b', 'policy-c'].map(uniqueService) as [string, string, string];
    // Counted: two successful delayed rollouts of service a. Not counted: a rolled-back one, a
    // sequential one, a dry run, and another service's. (Records: real rollouts wait too long here.)
    await onRecord(a, 'delayed', 'succeeded');
    await onRecord(a, 'delayed', 'succeeded');
    await onRecord(a, 'delayed', 'rolled_back');
    await onRecord(a, 'sequential', 'succeeded');
    await onRecord(a, 'delayed', 'dry_run_succeeded');
    await onRecord(b, 'delayed', 'succeeded');
    // A drill (timeScale < 1) through the workflow: it succeeds, and is recorded as a drill.
    const drill = fast({ service: a, strategy: 'delayed' });
    const { handle, result } = await rollout(drill);
    expect(result.outcome).toBe('succeeded');

    // Visibility is eventually consistent: wait until every closed one is indexed, then count.
    await expect
      .poll(
        async () =>
          (
            await env.client.workflow.count(
              "WorkflowType = 'multiRegionRollout' AND ExecutionStatus != 'Running' AND MeridianOutcome IS NOT NULL",
            )
          ).count,
        {
          timeout: 30_000,
          interval: 250,
        },
      )
      .toBe(7);
    expect((await handle.describe()).typedSearchAttributes.get(SEARCH_ATTRIBUTE_KEYS.outcome)).toBe('drill_succeeded');
    const { countSuccessfulDelayedRollouts } = createPolicyActivities(env.client);
    expect(await countSuccessfulDelayedRollouts(a)).toBe(2);
    expect(await countSuccessfulDelayedRollouts(b)).toBe(1);
    expect(await countSuccessfulDelayedRollouts(c)).toBe(0);

    // Through the workflow: parallel is refused for a service with too few on record.
    const err = await rollout(fast({ service: a, strategy: 'parallel' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    const cause = (err as WorkflowFailedError).cause as { type?: string; message: string };
    expect(cause.type).toBe(FAILURE_TYPES.parallelPolicy);
    expect(cause.message).toContain('found 2');
  });
});
