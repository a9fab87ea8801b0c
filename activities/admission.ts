// The rollout's request parsed by the worker, in the local activity that answers the worker's
// setup: the workflow sandbox gives each cached workflow its own copy of every module it loads, and
// zod was four fifths of a cached rollout's memory (docs/BENCHMARKS.md). Here it is loaded once.
import { InvalidRolloutInput, parseRolloutInput } from '../domain/rollout-input.js';
import type { SetupActivities } from '../domain/ports.js';

type WorkerSetupFn = SetupActivities['workerSetup'];

/** `setup`, answering with the request parsed (or its problems) when the rollout sends one. */
export function admitting(setup: WorkerSetupFn): WorkerSetupFn {
  return async (request) => {
    const answer = await setup();
    if (request === undefined) return answer;
    try {
      return { ...answer, input: parseRolloutInput(request) };
    } catch (err) {
      if (err instanceof InvalidRolloutInput) return { ...answer, problems: err.problems };
      throw err;
    }
  };
}

/** Activities as a worker registers them (startWorker): workerSetup also parses the request. */
export function withAdmission<A extends SetupActivities>(acts: A): A {
  return { ...acts, workerSetup: admitting(acts.workerSetup) };
}
