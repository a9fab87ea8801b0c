// The counts the canary judge reads: requests, 5xx and slow requests per colour, cumulative since
// a period began (differences of raw counters per instance, domain/counters.ts; not a rate window).

export interface ColourCounts {
  requests: number;
  /** 5xx responses. */
  errors: number;
  /** Requests above the period's latency limit (from histogram buckets, see slowFromBuckets). */
  slow: number;
}

export interface ColourPair {
  green: ColourCounts;
  blue: ColourCounts;
}

export const NO_COUNTS: ColourCounts = { requests: 0, errors: 0, slow: 0 };
export const NO_PAIR: ColourPair = { green: NO_COUNTS, blue: NO_COUNTS };

/**
 * Requests and slow requests from one colour's cumulative histogram buckets (`le` in seconds, the
 * last one +Inf, as Prometheus has them). Slow means above the largest bound ≤ the limit: a limit
 * between two bounds counts a few fast-enough requests as slow, for both colours alike.
 */
export function slowFromBuckets(buckets: readonly { le: number; count: number }[], limitMs: number): { requests: number; slow: number } {
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  const last = sorted.at(-1);
  if (!last || last.le !== Infinity) throw new Error('histogram buckets need the +Inf bucket');
  const fast = sorted.filter((b) => b.le <= limitMs / 1000 + 1e-9).at(-1)?.count ?? 0;
  return { requests: last.count, slow: Math.max(0, last.count - fast) };
}

/** Cumulative counts made consistent: never negative, errors and slow never above requests. */
function sane(c: ColourCounts): ColourCounts {
  const requests = Math.max(0, c.requests);
  return { requests, errors: Math.min(Math.max(0, c.errors), requests), slow: Math.min(Math.max(0, c.slow), requests) };
}

/**
 * What a poll adds to the highest counts seen so far in the period. `increase` is extrapolated and a
 * counter may reset, so a reading can dip below the last one: a dip adds nothing and is not counted
 * twice when the reading recovers.
 */
export function advance(seen: ColourCounts, reading: ColourCounts): { seen: ColourCounts; added: ColourCounts } {
  const r = sane(reading);
  const next = {
    requests: Math.max(seen.requests, r.requests),
    errors: Math.max(seen.errors, r.errors),
    slow: Math.max(seen.slow, r.slow),
  };
  return { seen: next, added: { requests: next.requests - seen.requests, errors: next.errors - seen.errors, slow: next.slow - seen.slow } };
}

export const addCounts = (a: ColourCounts, b: ColourCounts): ColourCounts => ({
  requests: a.requests + b.requests,
  errors: a.errors + b.errors,
  slow: a.slow + b.slow,
});
