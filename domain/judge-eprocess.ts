// Anytime-valid evidence on counts: e-processes whose value a good green exceeds 1/α with
// probability at most α over all looks (Ville's inequality), however often they are read.
// After Lindon, Sanden & Shirikian, "Rapid Regression Detection in Software Deployments through
// Sequential Testing" (KDD 2022), and the follow-up for counts, Lindon & Malek, "Anytime-Valid
// Inference for Multinomial Count Data" (NeurIPS 2022; Netflix's "Sequential A/B Testing Keeps the
// World Streaming, Part 2: Counting Processes"): condition on the total count and bet on how it
// splits between canary and baseline.

/**
 * The alternatives each mixture bets on, as multiples of the null's odds, with equal weights.
 * Spread from "a little worse" to "fails nearly every request"; a fixed grid keeps the state a
 * handful of numbers and the mixture valid (weights fixed before any data).
 */
export const ODDS_GRID = [1.5, 2, 3, 5, 8, 15, 40, 200, 2000] as const;
const LOG_WEIGHT = -Math.log(ODDS_GRID.length);

/** The probability whose odds are `k` times those of `p`. */
const withOdds = (p: number, k: number): number => (k * p) / (1 - p + k * p);

/** log of the likelihood ratio of x successes in n trials, Bernoulli(p1) against Bernoulli(p0); 0 < p0 < 1. */
function logLR(x: number, n: number, p0: number, p1: number): number {
  return x * Math.log(p1 / p0) + (n - x) * Math.log((1 - p1) / (1 - p0));
}

/** A fresh share test: one log-product per alternative, all 0 (e-value 1). */
export const freshShareTest = (): number[] => ODDS_GRID.map(() => 0);

/** The mixture's e-value from its log-products (may be Infinity for overwhelming evidence). */
export function mixtureE(logs: readonly number[]): number {
  let top = -Infinity;
  for (const l of logs) if (l > top) top = l;
  let sum = 0;
  for (const l of logs) sum += Math.exp(l - top);
  return Math.exp(top + Math.log(sum) + LOG_WEIGHT);
}

/**
 * One poll's update of the test "green's rate ≤ ratio0 × blue's rate" (errors, or slow requests).
 * Given the events both colours saw in the poll, each is green's with probability
 * p = n_g·r_g / (n_g·r_g + n_b·r_b), which under the null is ≤ p0 = n_g·ratio0 / (n_g·ratio0 + n_b).
 * p0 is computed from this poll's own request increments, so a traffic split that changes between
 * stages is accounted for. Every alternative's likelihood ratio is increasing in green's events, so
 * its expectation is ≤ 1 for any p ≤ p0: each factor keeps the products supermartingales.
 * (Exact for Poisson counts; with per-request errors the conditional law is hypergeometric, which at
 * equal rates is more concentrated than the binomial, Hoeffding 1963, so the test stays valid.)
 */
export function updateShareTest(logs: readonly number[], greenEvents: number, blueEvents: number, greenRequests: number, blueRequests: number, ratio0: number): number[] {
  const events = greenEvents + blueEvents;
  // No events, or one colour without traffic (the 100 % stage): the split says nothing.
  if (events <= 0 || greenRequests <= 0 || blueRequests <= 0) return [...logs];
  const p0 = (greenRequests * ratio0) / (greenRequests * ratio0 + blueRequests);
  return logs.map((l, i) => l + logLR(greenEvents, events, p0, withOdds(p0, ODDS_GRID[i]!)));
}

/**
 * E-value against "green's rate ≤ limit" from `events` in `requests` since a fixed start, the limit
 * fixed over that span. Only alternatives above the limit are bet on, so each request's factor has
 * expectation ≤ 1 whenever its rate is ≤ limit (even a rate that varies); with the limit fixed the
 * product depends on the totals alone. Rejecting at 1/α is the same as the limit lying below the
 * anytime-valid lower confidence bound on green's rate.
 */
export function limitE(events: number, requests: number, limit: number): number {
  if (limit >= 1 || requests <= 0) return 1;
  if (limit <= 0) return events > 0 ? Infinity : 1;
  return mixtureE(limitTerms(limit).map(([hit, miss]) => events * hit + (requests - events) * miss));
}

/** Per alternative, the log-ratio of one event and of one non-event; few distinct limits, so kept. */
const LIMIT_TERMS = new Map<number, [number, number][]>();
function limitTerms(limit: number): [number, number][] {
  let terms = LIMIT_TERMS.get(limit);
  if (!terms) {
    terms = ODDS_GRID.map((k) => {
      const p1 = withOdds(limit, k);
      return [Math.log(p1 / limit), Math.log((1 - p1) / (1 - limit))];
    });
    if (LIMIT_TERMS.size < 64) LIMIT_TERMS.set(limit, terms);
  }
  return terms;
}
