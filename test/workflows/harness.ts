// Runs rollouts on the time-skipping server with stub activities over a StubWorld.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import type { WorkflowHandle } from '@temporalio/client';
import { rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import type { RolloutRequest } from '../../domain/rollout-input.js';
import { StubWorld, type WorldHooks } from '../helpers/stub-world.js';

export const SHA = 'a'.repeat(64);
export const REGIONS = ['us-east', 'eu-west', 'apac-se'];

let queue = 0;

export function request(overrides: Partial<RolloutRequest> = {}): RolloutRequest {
  return { service: 'payments-api', version: 'v1.12.3', artifact: { url: 'https://artifacts.example/payments-api-v1.12.3.tgz', sha256: SHA }, ...overrides };
}

export interface Run {
  world: StubWorld;
  handle: WorkflowHandle;
  result: RolloutResult;
}

/**
 * Starts a rollout and runs a worker until it finishes. `steer` gets the handle once started
 * (hooks see it through `ref.handle`) so tests can signal from inside activities.
 */
export async function runRollout(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundleWithSourceMap,
  req: RolloutRequest,
  hooks: (ref: { handle?: WorkflowHandle }) => WorldHooks = () => ({}),
  existing?: StubWorld,
): Promise<Run> {
  const ref: { handle?: WorkflowHandle } = {};
  const world = existing ?? new StubWorld((req.regions as string[] | undefined) ?? REGIONS);
  world.hooks = hooks(ref);
  const taskQueue = `rollout-${++queue}`;
  const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: world.activities() });
  const workflowId = `${rolloutWorkflowId(req.service)}-${queue}`;
  const result = await worker.runUntil(async () => {
    ref.handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, { taskQueue, workflowId, args: [req] });
    return (await ref.handle.result()) as RolloutResult;
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
