// Every error the client library and the CLI throw for a caller's mistake, each with a message an
// operator can act on. Four classes, because a caller does four different things with them:
//  - InvalidRolloutInput (domain/rollout-refusals.ts): the rollout request fails validation or names
//    a region the worker does not serve; `problems` has one line per field, to show or fix one by one.
//    The worker refuses the same input with it (an ApplicationFailure of type FAILURE_TYPES.invalidInput).
//  - RejectedInput: any other argument refused, before or by the server (a flag, a region not in the
//    rollout, a missing reason, an approval the workflow refuses); one message naming the field or flag.
//  - RolloutConflict: the request is fine but does not fit what is running (a rollout already runs,
//    or none does): retry later or steer the running one, not fix the input.
//  - TemporalSettingsError (connection.ts): the connection settings (flags, TEMPORAL_* variables, the
//    profile) cannot work; `problems` names each variable or profile field.
// The CLI maps the first two and the last to exit code 2, conflicts to 3.
export { InvalidRolloutInput } from '../domain/rollout-refusals.js';
export { TemporalSettingsError } from './connection.js';

/** An argument refused before or by the server, naming the field or flag. */
export class RejectedInput extends Error {
  override readonly name = 'RejectedInput';
}

/** The request does not fit what is running: a rollout already runs, or none does. */
export class RolloutConflict extends Error {
  override readonly name = 'RolloutConflict';
}
