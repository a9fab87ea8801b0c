// The stable colour's baseline, for periods where it takes no live traffic: its counts before the
// region's first stage and in the region's earlier stages, held against the candidate by a
// sequential bet on an upper bound of its rate, and by one classical test per planned look.
import type { JudgeConfig } from './judge-config.js';
import type { ColourCounts } from './judge-counts.js';
import { dispersion, dispersionOf, normalQuantile, rateLookZ, upperRate } from './judge-eprocess.js';
import { ALPHA_SHARES, type JudgeState } from './judge-state.js';

/** The stable colour's counts before the region's first stage (the watch reads them once, when first needed). */
export const withBaseline = (state: JudgeState, lookback: ColourCounts[]): JudgeState => ({ ...state, lookback });

/** The baseline the watch should read before judging this period: none yet, needed without live stable traffic. */
export function needsBaseline(state: JudgeState, config: JudgeConfig): boolean {
  const p = state.period;
  return (
    config.kind === 'sequential' &&
    config.baselineMinutes > 0 &&
    !state.lookback &&
    !state.baseline &&
    p !== undefined &&
    (p.weightPct ?? 0) >= 100
  );
}

/** The rates the regressions hold the candidate to without live stable traffic: (1 + tolerance) × the stable colour's upper bounds. */
export function baselineOf(state: JudgeState, config: JudgeConfig): JudgeState['baseline'] {
  const errorBins = baselineBins(state);
  // Earlier stages counted slow at their own limits: only the lookback, read at the last stage's, compares.
  const slowBins = (state.lookback ?? []).map((c) => ({ events: c.slow, requests: c.requests }));
  if (!errorBins.some((b) => b.requests > 0)) return undefined;
  const a = ALPHA_SHARES.baselineBound * config.alpha;
  const ratio = 1 + config.tolerance;
  const floor = config.floorPct / 100;
  return {
    errorRate: Math.max(floor, ratio * upperRate(errorBins, a)),
    slowShare: slowBins.some((b) => b.requests > 0) ? Math.max(floor, ratio * upperRate(slowBins, a)) : Infinity,
  };
}

/** The stable colour's baseline as bins: before the region's first stage, and each earlier period with live traffic. */
const baselineBins = (s: JudgeState) => [...(s.lookback ?? []), ...s.stableBins].map((c) => ({ events: c.errors, requests: c.requests }));

export function baselineTotals(s: JudgeState): { errors: number; requests: number } {
  return baselineBins(s).reduce((a, b) => ({ errors: a.errors + b.events, requests: a.requests + b.requests }), { errors: 0, requests: 0 });
}

/**
 * The planned look at the end of a period without live stable traffic: the candidate's errors in
 * all such periods so far against (1 + tolerance) × the baseline's rate, one classical test per
 * look, the j-th at α·share / 2^j (so any number of looks spends at most the share). Sequential
 * bets pay for reading at every poll; a look where the data ends pays once, and a 0.6 % candidate
 * against a 0.2 % baseline at 200 requests/min has too few errors for the former before promotion.
 */
export function plannedLook(
  s: JudgeState,
  alone: ColourCounts,
  spread: JudgeState['aloneSpread'],
  config: JudgeConfig,
): NonNullable<NonNullable<JudgeState['period']>['look']> | undefined {
  const { errors, requests } = baselineTotals(s);
  // The wider of the two spreads: the candidate's own catches a burst the baseline never had (an instance restarting).
  const d = Math.max(dispersion(baselineBins(s)), dispersionOf(alone.errors, alone.requests, spread.squares, spread.polls));
  const z = rateLookZ(alone.errors, alone.requests, errors, requests, 1 + config.tolerance, d);
  if (z === undefined) return undefined;
  return { z, bound: normalQuantile(1 - (ALPHA_SHARES.baselineLook * config.alpha) / 2 ** (s.looks + 1)) };
}
