// What the parent refuses before its first card, deploy or weight change: invalid input, regions
// the worker has no config for, and `parallel` before the policy allows it. Each refusal fails the
// workflow with a non-retryable ApplicationFailure whose type names the rule.
import { ApplicationFailure, patched } from '@temporalio/workflow';
import { PARALLEL_POLICY_MIN_DELAYED } from '../domain/contract.js';
import type { RolloutInput, RolloutRequest } from '../domain/rollout-input.js';
import { InvalidRolloutInput, unservedRegions } from '../domain/rollout-refusals.js';
import type { WorkerSetup } from '../domain/ports.js';
import type { rolloutActivities } from './activity-stubs.js';

type RolloutActivities = ReturnType<typeof rolloutActivities>;

/** Marks rollouts that learn their input and the worker's setup from one local activity. */
export const ADMISSION_PATCH = 'admission';

/**
 * The request parsed and the worker's setup, from the worker (a local activity, `workerSetup` with
 * the request): the workflow never loads the schema. Rollouts started before (no marker) parse here
 * and ask for the setup later (askWorkerSetup); so does a worker whose workerSetup does not parse.
 */
export async function admit(request: RolloutRequest, acts: RolloutActivities): Promise<{ input: RolloutInput; setup?: WorkerSetup }> {
  if (!patched(ADMISSION_PATCH)) return { input: await validate(request) };
  const { input, problems, ...setup } = await acts.admission(request);
  if (problems) throw refusal(new InvalidRolloutInput(problems));
  return { input: input ?? (await validate(request)), setup };
}

/**
 * The request parsed in the workflow. The schema and zod load on this call, not with the workflow
 * code: each workflow in the worker's cache keeps its own copy of every module it loaded, and zod
 * was 0.8 MB of a cached workflow's 1 MB (docs/BENCHMARKS.md). The import resolves within the same
 * workflow task: it is bundled eagerly.
 */
async function validate(request: RolloutRequest): Promise<RolloutInput> {
  const { parseRolloutInput } = await import(/* webpackMode: "eager" */ '../domain/rollout-input.js');
  try {
    return parseRolloutInput(request);
  } catch (err) {
    if (err instanceof InvalidRolloutInput) throw refusal(err);
    throw err;
  }
}

const refusal = (err: InvalidRolloutInput) =>
  ApplicationFailure.create({ type: 'InvalidRolloutInput', message: err.message, details: [err.problems], nonRetryable: true });

/** The worker's setup (its regions and approver lists), asked first; undefined in older histories, which never asked. */
export async function askWorkerSetup(acts: RolloutActivities): Promise<WorkerSetup | undefined> {
  return patched('check-regions') ? acts.workerSetup() : undefined;
}

/** The worker's configured regions are the only ones a rollout may name. */
export function refuseUnservedRegions(input: RolloutInput, setup: WorkerSetup | undefined): void {
  if (!setup) return;
  const problems = unservedRegions(input.regions, setup.regions);
  if (problems.length) throw refusal(new InvalidRolloutInput(problems));
}

export async function enforceParallelPolicy(input: RolloutInput, acts: RolloutActivities): Promise<void> {
  if (input.strategy !== 'parallel' || input.parallelPolicyOverride) return;
  const done = await acts.countSuccessfulDelayedRollouts(input.service);
  if (done < PARALLEL_POLICY_MIN_DELAYED) {
    throw ApplicationFailure.create({
      type: 'ParallelPolicy',
      nonRetryable: true,
      message: `strategy "parallel" needs ${PARALLEL_POLICY_MIN_DELAYED} successful delayed rollouts of ${input.service} on record; found ${done}. Use "delayed", or set parallelPolicyOverride.reason for an emergency.`,
    });
  }
}
