// Why a region stops short of success: decided inside the cancellable body, handled by stop().
import type { Breach } from '../domain/metrics.js';

/** A breach (unavailable metrics included): roll back. */
export class RegionStopped extends Error {
  constructor(readonly breach: Breach) {
    super(breach.cause);
  }
}

/** Too few candidate hosts came up healthy: the region fails before any traffic moves. */
export class FleetBelowMinimum extends Error {}

/** Nobody approved in time: nothing was changed, so nothing is rolled back. */
export class ApprovalTimedOut extends Error {}

/** An operator abort, seen at the next wait or step. */
export class RegionAborted extends Error {}

/** Activity failures wrap the activity's own error: the innermost message is the cause. */
export function failureMessage(err: unknown): string {
  let e = err as { message?: string; cause?: unknown } | undefined;
  while (e?.cause && typeof e.cause === 'object') e = e.cause as typeof e;
  return e?.message ?? String(err);
}
