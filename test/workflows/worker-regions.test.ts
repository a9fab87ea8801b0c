// The regions a rollout may name are the worker's configured ones (issue 14, item 1): any other is
// refused on the parent's first step, before a card, a deploy or a weight change, naming the field.
// Time-skipping server: nothing here signals.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAILURE_TYPES, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import type { RolloutRequest } from '../../domain/rollout-input.js';
import { createTimeSkippingEnv } from '../helpers/temporal.js';
import { StubWorld } from '../helpers/stub-world.js';
import { uniqueQueue } from '../helpers/ids.js';
import { resultWithin } from '../helpers/workflow-result.js';
import { REGIONS, request, workerOn } from './harness.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => env?.teardown());

/** Runs the rollout on a worker configured for `world`'s regions; returns how it ended and its history. */
async function start(world: StubWorld, req: RolloutRequest & { service: string }) {
  const taskQueue = uniqueQueue('regions');
  const worker = await Worker.create({ ...workerOn(env), taskQueue, activities: world.activities() });
  return worker.runUntil(async () => {
    const handle: WorkflowHandle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, {
      taskQueue,
      workflowId: rolloutWorkflowId(req.service),
      args: [req],
    });
    const ended = await resultWithin<RolloutResult>(env.client, handle).catch((e: unknown) => e);
    return { ended, events: (await handle.fetchHistory()).events ?? [] };
  });
}

type Events = Awaited<ReturnType<typeof start>>['events'];
/** The local activity a marker records, by type (the rollout's first step, workerSetup, is one). */
const local = (e: Events[number]) => {
  const m = e.markerRecordedEventAttributes;
  const data = m?.markerName === 'core_local_activity' ? m.details?.data?.payloads?.[0]?.data : undefined;
  return data ? [`local ${(JSON.parse(Buffer.from(data).toString('utf8')) as { activity_type: string }).activity_type}`] : [];
};
/** Activities in the order the history has them: scheduled ones, and local ones. */
const scheduled = (events: Events) => events.flatMap((e) => e.activityTaskScheduledEventAttributes?.activityType?.name ?? local(e));

describe('regions the worker is configured for', () => {
  it('an unknown region is refused before any side effect, naming regions[0]', async () => {
    const world = new StubWorld(REGIONS);
    const { ended, events } = await start(world, request({ regions: ['mars-west', 'us-east'], strategy: 'sequential' }));

    expect(ended).toBeInstanceOf(WorkflowFailedError);
    const cause = (ended as WorkflowFailedError).cause;
    expect(cause).toBeInstanceOf(ApplicationFailure);
    expect(cause).toMatchObject({ type: FAILURE_TYPES.invalidInput, nonRetryable: true });
    expect(cause?.message).toBe(
      'invalid rollout input: regions[0]: "mars-west" is not a region this worker serves (us-east, eu-west, apac-se)',
    );
    // No card, no weight read or change, no deploy; in history, the check and nothing after it.
    expect(world.calls).toEqual([]);
    expect(scheduled(events)).toEqual(['local workerSetup']);
    expect(events.some((e) => e.startChildWorkflowExecutionInitiatedEventAttributes)).toBe(false);
    // The only upsert is the SDK's own record of the patch (TemporalChangeVersion), none of Meridian's.
    expect(
      events
        .flatMap((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}))
        .filter((k) => k.startsWith('Meridian')),
    ).toEqual([]);
    expect(events.at(-1)?.workflowExecutionFailedEventAttributes).toBeTruthy();
  });

  it("the worker's own configuration decides: a region in the default list but not this worker's is refused by its index", async () => {
    const world = new StubWorld(['us-east']);
    const { ended } = await start(world, request({ regions: ['us-east', 'eu-west'], strategy: 'sequential' }));
    expect((ended as WorkflowFailedError).cause?.message).toBe(
      'invalid rollout input: regions[1]: "eu-west" is not a region this worker serves (us-east)',
    );
    expect(world.calls).toEqual([]);
  });

  it('configured regions pass the check and roll out', async () => {
    const world = new StubWorld(['us-east']);
    const { ended, events } = await start(world, request({ regions: ['us-east'], strategy: 'sequential' }));
    expect((ended as RolloutResult).outcome).toBe('succeeded');
    expect(scheduled(events).slice(0, 2)).toEqual(['local workerSetup', 'notify']);
  });
});
