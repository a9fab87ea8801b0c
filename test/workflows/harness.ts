// Runs rollouts with stub activities over a StubWorld, on the time-skipping server (hours of timers
// in seconds) or on the shared dev server with scaled time (signals and cancellation).
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import type { RolloutRequest, Stage } from '../../domain/rollout-input.js';
import { uniqueQueue, uniqueService } from '../helpers/ids.js';
import { StubWorld, type WorldHooks } from '../helpers/stub-world.js';
import { workflowBundle } from '../helpers/temporal.js';
import { resultWithin } from '../helpers/workflow-result.js';

const SHA = 'a'.repeat(64);
export const REGIONS = ['us-east', 'eu-west', 'apac-se'];

/** A rollout request under a service name of the test's own (so workflow IDs of its own). */
export function request(overrides: Partial<RolloutRequest> = {}): RolloutRequest & { service: string } {
  const service = overrides.service ?? uniqueService('payments-api');
  return { service, version: 'v1.12.3', artifact: { url: `https://artifacts.example/${service}-v1.12.3.tgz`, sha256: SHA }, ...overrides };
}

/**
 * Real time, scaled: the default table's five weights at one minute each, 60 s checks, timeScale
 * 0.002 (a check every 120 ms, 5-minute final validation in 0.6 s): a region takes about 2 s.
 */
export const QUICK_STAGES: Stage[] = [10, 25, 50, 75, 100].map((weightPct) => ({
  weightPct,
  maxErrorRatePct: 1,
  maxLatencyMs: 500,
  durationMinutes: 1,
}));
export const quick = (overrides: Partial<RolloutRequest> = {}) =>
  request({ stages: QUICK_STAGES, checkIntervalSeconds: 60, timeScale: 0.002, ...overrides });

/**
 * QUICK_STAGES with the stage at `weightPct` 30 minutes long (3.6 s scaled): a signal sent to the
 * parent at that weight reaches the region (forwarded, so some milliseconds later) within it.
 */
export const holdingAt = (weightPct: number): Stage[] =>
  QUICK_STAGES.map((s) => (s.weightPct === weightPct ? { ...s, durationMinutes: 30 } : s));

/** Worker options on the env's connection and namespace, with the run's one workflow bundle. */
export const workerOn = (env: TestWorkflowEnvironment) => ({
  connection: env.nativeConnection,
  namespace: env.namespace ?? 'default',
  workflowBundle: workflowBundle(),
  // A paused hold's stub polls every 120 ms: let its heartbeats (and so cancellation) through as often.
  maxHeartbeatThrottleInterval: 50,
});

export interface Run {
  world: StubWorld;
  handle: WorkflowHandle;
  result: RolloutResult;
}

/**
 * Starts a rollout and runs a worker until it finishes (or fails after `timeoutMs` with the last
 * events). Hooks get the handle through `ref.handle` once started, so they can signal from inside activities.
 */
export async function runRollout(
  env: TestWorkflowEnvironment,
  req: RolloutRequest & { service: string },
  hooks: (ref: { handle?: WorkflowHandle }) => WorldHooks = () => ({}),
  existing?: StubWorld,
  timeoutMs = 90_000,
): Promise<Run> {
  const ref: { handle?: WorkflowHandle } = {};
  const world = existing ?? new StubWorld((req.regions as string[] | undefined) ?? REGIONS);
  world.hooks = hooks(ref);
  const taskQueue = uniqueQueue('rollout');
  const worker = await Worker.create({ ...workerOn(env), taskQueue, activities: world.activities() });
  const result = await worker.runUntil(async () => {
    ref.handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, {
      taskQueue,
      workflowId: rolloutWorkflowId(req.service),
      args: [req],
    });
    return resultWithin<RolloutResult>(env.client, ref.handle, timeoutMs);
  });
  return { world, handle: ref.handle!, result };
}

/** Event times (workflow clock) at which the parent started each region's child. */
export async function childStartTimes(handle: WorkflowHandle): Promise<Record<string, number>> {
  const history = await handle.fetchHistory();
  const times: Record<string, number> = {};
  for (const e of history.events ?? []) {
    const started = e.childWorkflowExecutionStartedEventAttributes;
    if (started?.workflowExecution?.workflowId) {
      const region = REGIONS.find((r) => started.workflowExecution!.workflowId!.endsWith(`-${r}`));
      if (region) times[region] = Number(e.eventTime!.seconds) * 1000;
    }
  }
  return times;
}
