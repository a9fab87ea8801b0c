// What the parent refuses before its first card, deploy or weight change: invalid input, regions
// the worker has no config for, and `parallel` before the policy allows it. Each refusal fails the
// workflow with a non-retryable ApplicationFailure whose type names the rule.
import { ApplicationFailure } from '@temporalio/workflow';
import { FAILURE_TYPES, PARALLEL_POLICY_MIN_DELAYED } from '../domain/contract.js';
import { STRATEGY_RULES } from '../domain/strategy.js';
import type { RolloutInput, RolloutRequest } from '../domain/rollout-input.js';
import { InvalidRolloutInput, unservedRegions } from '../domain/rollout-refusals.js';
import type { WorkerSetup } from '../domain/ports.js';
import { fleetProblems } from '../domain/fleet.js';
import type { rolloutActivities } from './activity-stubs.js';

type RolloutActivities = ReturnType<typeof rolloutActivities>;

/**
 * The request parsed and the worker's setup, from the worker (a local activity, `workerSetup` with
 * the request): the workflow never loads the schema, and one build's worker parses for that build's
 * workflows (rollouts are pinned to the build they started on). Its regions must be ones the worker
 * is configured for.
 */
export async function admit(request: RolloutRequest, acts: RolloutActivities): Promise<{ input: RolloutInput; setup: WorkerSetup }> {
  const { input, problems, ...setup } = await acts.admission(request);
  if (problems) throw refusal(new InvalidRolloutInput(problems));
  if (!input)
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.invalidInput,
      message: 'the worker did not parse the request (its workerSetup is not wrapped by withAdmission)',
      nonRetryable: true,
    });
  const unserved = unservedRegions(input.regions, setup.regions);
  if (unserved.length) throw refusal(new InvalidRolloutInput(unserved));
  const unmet = fleetProblems(input.deployPolicy, input.regions, setup.fleets);
  if (unmet.length) throw refusal(new InvalidRolloutInput(unmet));
  return { input, setup };
}

const refusal = (err: InvalidRolloutInput) =>
  ApplicationFailure.create({ type: FAILURE_TYPES.invalidInput, message: err.message, details: [err.problems], nonRetryable: true });

export async function enforceParallelPolicy(input: RolloutInput, acts: RolloutActivities): Promise<void> {
  if (!STRATEGY_RULES[input.strategy].needsRecord || input.parallelPolicyOverride) return;
  const done = await acts.countSuccessfulDelayedRollouts(input.service);
  if (done < PARALLEL_POLICY_MIN_DELAYED) {
    throw ApplicationFailure.create({
      type: FAILURE_TYPES.parallelPolicy,
      nonRetryable: true,
      message:
        `strategy "parallel" needs ${PARALLEL_POLICY_MIN_DELAYED} successful delayed rollouts of ${input.service} on record; ` +
        `found ${done}. Use "delayed", or set parallelPolicyOverride.reason for an emergency.`,
    });
  }
}
