// Errors the client library throws for operator mistakes, each with a message an operator can act on.
// The CLI maps them to exit codes: input problems → 2, conflicts with what is running → 3.

/** Input refused before or by the server (a validator), naming the field. */
export class RejectedInput extends Error {
  override readonly name = 'RejectedInput';
}

/** The request does not fit what is running: a rollout already runs, or none does. */
export class RolloutConflict extends Error {
  override readonly name = 'RolloutConflict';
}
