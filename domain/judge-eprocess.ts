// Anytime-valid evidence on binned counts: e-processes whose value a good candidate exceeds 1/α
// with probability at most α over all looks (Ville's inequality), however often they are read.
//
// Each poll is one bin, and each bin's bet is LINEAR in the events counted: wealth × (1 + c·(x − m)),
// where m is what the null allows in the bin and c ≥ 0 is fixed before x is seen. Its expectation
// is ≤ 1 whenever E[x] ≤ m, whatever the events' joint law: errors in bursts (a retry storm, one
// bad instance), overdispersed, or counted late by a scrape. A likelihood ratio, (p1/p0)^x, needs
// independent events: ten errors of one burst would count as ten proofs. The linear bet counts a
// bin's surplus once, so a burst moves the evidence by a bounded factor, and many bins must agree.
// With at most one event in a bin the linear bet is exactly the likelihood ratio of that event.
// After Waudby-Smith & Ramdas, "Estimating means of bounded random variables by betting" (JRSS-B
// 2024), and the count-splitting idea of Lindon & Malek (NeurIPS 2022) used by Netflix's canaries.

/**
 * The alternatives each mixture bets on: the candidate's events at k times what the null allows,
 * and each one's weight (fixed before any data and adding up to 1, so the mixture is an e-process
 * too). A quarter on k = 100, so a gross regression is caught in its first few errors (at a 10 %
 * stage with a clean stable colour, three errors in a row); most of the rest on k = 3–10, where a
 * regression with a few errors against a few of the stable colour's finds its evidence. No k = 30:
 * where the candidate takes a quarter of the traffic one of its errors pays at most 1 / p0 ≈ 3.7
 * whatever k, and one stable error costs 1 / (1 + (k − 1)·p0), so k = 30 gave back what it won.
 */
export const RISK_GRID = [1.5, 2, 3, 5, 10, 100] as const;
export const RISK_WEIGHTS = [0.05, 0.05, 0.15, 0.15, 0.35, 0.25] as const;

/** A fresh bet: one log-wealth per alternative, all 0 (e-value 1). */
export const freshBets = (): number[] => RISK_GRID.map(() => 0);

/**
 * The mixture's e-value from its log-wealths: their mean wealth (Infinity for overwhelming evidence).
 * Read over the grid's length: a state kept from a longer grid still gives a number (each entry
 * went on betting with its own predictable bets, so it is still an e-process).
 */
export function mixtureE(logs: readonly number[]): number {
  let sum = 0;
  for (let i = 0; i < RISK_WEIGHTS.length; i++) sum += RISK_WEIGHTS[i]! * Math.exp(logs[i] ?? 0);
  return sum;
}

/**
 * One bin's bet that x exceeds its allowance m (E[x] ≤ m under the null), for each alternative k:
 * c = (k − 1) / (1 + (k − 1)·m), so the factor at x = 0 is 1 / (1 + (k − 1)·m) > 0, one event when
 * m is small pays about k, and a bin with many expected events pays on its relative surplus.
 */
export function bet(logs: readonly number[], x: number, m: number): readonly number[] {
  if (!(m > 0)) return x > 0 && m === 0 ? RISK_GRID.map(() => Infinity) : logs;
  return RISK_GRID.map((k, i) => {
    const l = logs[i] ?? 0;
    const k1 = k - 1;
    return l + Math.log(1 + (k1 * (x - m)) / (1 + k1 * m));
  });
}

/**
 * "The candidate's rate ≤ ratio0 × the stable colour's": of the events both colours saw in a poll,
 * the candidate's share is at most p0 = nc·ratio0 / (nc·ratio0 + ns) under the null, whatever both
 * rates are (an incident on both colours moves both). nc and ns are the period's requests so far
 * (this poll's included), not the poll's own: the balancer's weight is fixed within a period, and a
 * poll's own split is noisy (1.7 candidate requests a poll at 200 requests/min and 10 %) and
 * biased where it matters: a poll holding a candidate error tends to hold more candidate requests,
 * so its own p0 is high exactly where the candidate's errors are. See docs/CANARY_JUDGE.md.
 */
export function betShare(
  logs: readonly number[],
  candidateEvents: number,
  stableEvents: number,
  candidateRequests: number,
  stableRequests: number,
  ratio0: number,
): readonly number[] {
  const events = candidateEvents + stableEvents;
  // No events, or one colour without traffic: the split says nothing (the same bets, not a copy).
  if (events <= 0 || candidateRequests <= 0 || stableRequests <= 0) return logs;
  const p0 = (candidateRequests * ratio0) / (candidateRequests * ratio0 + stableRequests);
  return bet(logs, candidateEvents, p0 * events);
}

/** "The candidate's rate ≤ limit": the bin's events against limit × its requests. */
export function betRate(logs: readonly number[], events: number, requests: number, limit: number): readonly number[] {
  if (requests <= 0 || limit >= 1) return logs;
  return bet(logs, events, limit * requests);
}

/** The standard normal quantile (Acklam's rational approximation, |relative error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

/**
 * An upper confidence bound, at level 1 − α, on a rate from binned counts (events, requests per
 * bin): quasi-Poisson, the variance inflated by the bins' own overdispersion (never below 1), so
 * bursty errors widen the bound. Score form, so 0 events still gives a bound above 0.
 */
export function upperRate(bins: readonly { events: number; requests: number }[], alpha: number): number {
  const events = bins.reduce((a, b) => a + b.events, 0);
  const requests = bins.reduce((a, b) => a + b.requests, 0);
  if (requests <= 0) return Infinity;
  const d = dispersion(bins);
  const z = normalQuantile(1 - alpha);
  const mean = events + (z * z * d) / 2 + z * Math.sqrt(d * events + (z * z * d * d) / 4);
  return mean / requests;
}

/**
 * How much more the bins' counts vary than Poisson counts would: Pearson's χ² over its degrees of
 * freedom, taken at its 95 % upper confidence limit (Wilson–Hilferty), never below 1. A point
 * estimate falls short exactly when bursts are rare in the baseline, and a bound built on it would
 * then be too tight.
 */
export function dispersion(bins: readonly { events: number; requests: number }[]): number {
  const used = bins.filter((b) => b.requests > 0);
  const events = used.reduce((a, b) => a + b.events, 0);
  const requests = used.reduce((a, b) => a + b.requests, 0);
  return dispersionOf(
    events,
    requests,
    used.reduce((a, b) => a + (b.events * b.events) / b.requests, 0),
    used.length,
  );
}

/**
 * The same from running sums, kept poll by poll: `squares` = Σ events² / requests over `bins` bins.
 * Pearson's χ² = Σ (x − r·n)² / (r·n) = Σ (x² / n) / r − X, with r = X / N.
 */
export function dispersionOf(events: number, requests: number, squares: number, bins: number): number {
  const df = bins - 1;
  if (!(events > 0) || !(requests > 0) || df < 1) return 1;
  const chi = (squares * requests) / events - events;
  // Below 10 degrees of freedom the confidence limit runs away: take the point estimate.
  const lowChi = df < 10 ? df : df * (1 - 2 / (9 * df) + normalQuantile(0.05) * Math.sqrt(2 / (9 * df))) ** 3;
  return Math.max(1, chi / lowChi);
}

/**
 * One planned look comparing two rates: is x in n above ratio0 × b in nb (quasi-Poisson, with
 * the dispersion measured on the baseline, the rate under the null estimated from both, a
 * continuity correction)? Returns z, or undefined when the null expects under 5 events (too few
 * for the normal approximation: the look is skipped, not failed).
 */
export function rateLookZ(x: number, n: number, b: number, nb: number, ratio0: number, d: number): number | undefined {
  if (n <= 0 || nb <= 0) return undefined;
  const rate0 = (x + b) / (ratio0 * n + nb);
  if (ratio0 * rate0 * n < 5) return undefined;
  const variance = d * rate0 * (ratio0 / n + (ratio0 * ratio0) / nb);
  return ((x - 0.5) / n - (ratio0 * b) / nb) / Math.sqrt(variance);
}
