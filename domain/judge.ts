// The canary judge, called on every poll of a watched period (a canary stage, final validation, an
// observation window) with both colours' counts since the period began. It answers healthy,
// breach or inconclusive, with evidence. Pure; its state is a small JSON object that the workflow
// keeps between polls (and the watch activity puts in its heartbeat).
//
// Rules, each anytime-valid (judge-eprocess.ts), each needing BOTH of its tests to cross the bound:
//  - error regression: green's errors exceed (1 + tolerance) × blue's rate, and green's rate is above the floor;
//  - latency regression: the same on the share of requests above the stage's latency limit;
//  - hard limits: the stage's own limits, on the period's counts, with confidence, and green worse
//    than blue, so an incident that hits both colours is not blamed on the release. Without blue
//    traffic (the 100 % stage, validation, observation) the limit alone decides. A confidence test
//    has no use for the point reading's 'atMost' / 'below' distinction: both read as "≤ limit".
//
// α is the chance that a good green is rolled back in a region over ALL looks of its rollout:
// Bonferroni over the rules, never over looks. Each regression rule gets 40 % of α and runs ONE
// e-process across all the region's periods: the hypothesis is the same in every stage and each
// poll bets with that poll's traffic split, so the evidence of the 10 % and 25 % stages adds up
// (a share of α per period would make each stage prove the case alone, and catch it later).
// Hard limits change per period, so they restart each period: 10 % of α per metric, split over the
// planned periods with one period's share kept for unplanned ones (spent halving), so the total
// stays ≤ α whatever the workflow does.
import type { JudgeConfig } from './judge-config.js';
import { addCounts, advance, NO_PAIR, type ColourCounts, type ColourPair } from './judge-counts.js';
import { freshShareTest, limitE, mixtureE, updateShareTest } from './judge-eprocess.js';
import { breachOf, countEvidence, fmtCount, type CountTest, type JudgeEvidence } from './judge-evidence.js';
import { evaluateGate, type Breach, type Metrics, type Thresholds } from './metrics.js';

export { DEFAULT_JUDGE_CONFIG } from './judge-defaults.js';
export type { JudgeConfig, JudgeRequest } from './judge-config.js';
export { slowFromBuckets, type ColourCounts, type ColourPair } from './judge-counts.js';
export type { JudgeEvidence, JudgeTest } from './judge-evidence.js';

/** p95 ≤ limit means at most 5 % of requests above the limit. */
export const SLOW_SHARE_AT_LIMIT = 0.05;
const REGRESSION_SHARE = 0.4;
const LIMIT_SHARE = 0.1;

export interface JudgePeriod {
  /** "canary 10%", "final validation", "observation window". */
  phase: string;
  thresholds: Thresholds;
}

export interface JudgePoll {
  /** Cumulative since the period began (the sequential judge). */
  green?: ColourCounts;
  blue?: ColourCounts;
  /** Today's rate-window reading of green: the static judge's input; the sequential judge gates CPU and memory on it. */
  reading?: Metrics;
  /** The candidate's balancer servers that the balancer's health check has down (domain/counters.ts downServers). */
  down?: string[];
}

export interface JudgeState {
  /** Periods planned for the region: stages + final validation (+ observation window). */
  periods: number;
  /** Periods started so far; the current one is number `started`. */
  started: number;
  period?: JudgePeriod & { counts: ColourPair };
  /** Counts since the region's first period. */
  total: ColourPair;
  /** Log-products per alternative (ODDS_GRID) of the share tests carried across periods. */
  logs: { errorRegression: number[]; latencyRegression: number[]; errorWorse: number[]; latencyWorse: number[] };
}

export type JudgeStatus = 'healthy' | 'breach' | 'inconclusive';

export interface JudgeVerdict {
  status: JudgeStatus;
  phase: string;
  /** The deciding test's evidence; without a breach, the test nearest its bound. */
  evidence: JudgeEvidence;
  /** With status 'breach': what the workflow rolls back on (cause = the evidence line). */
  breach?: Breach;
  /** With status 'inconclusive': what is missing. */
  reason?: string;
}

/** A region's judge, before its first period. */
export function startJudge(periods: number): JudgeState {
  const logs = { errorRegression: freshShareTest(), latencyRegression: freshShareTest(), errorWorse: freshShareTest(), latencyWorse: freshShareTest() };
  return { periods: Math.max(1, Math.floor(periods)), started: 0, total: NO_PAIR, logs };
}

/** A new watched period: counts start from zero, the regression evidence carries on. */
export function startPeriod(state: JudgeState, period: JudgePeriod): JudgeState {
  return { ...state, started: state.started + 1, period: { ...period, counts: NO_PAIR } };
}

/** The hard-limit α of one metric in the n-th period (1-based); summed over every n it is LIMIT_SHARE × α. */
export function limitAlpha(alpha: number, periods: number, n: number): number {
  const slot = (LIMIT_SHARE * alpha) / (periods + 1);
  return n <= periods ? slot : slot / 2 ** (n - periods);
}

/** One poll: the counts since the period began → the next state and a verdict. */
export function judge(state: JudgeState, poll: JudgePoll, config: JudgeConfig): { state: JudgeState; verdict: JudgeVerdict } {
  const period = state.period;
  if (!period) throw new Error('judge: call startPeriod before the first poll of a period');
  if (config.kind === 'static') return { state, verdict: staticVerdict(period, poll.reading) };
  if (!poll.green || !poll.blue) throw new Error("judge: the sequential judge needs both colours' counts");

  const g = advance(period.counts.green, poll.green);
  const b = advance(period.counts.blue, poll.blue);
  const share = (logs: number[], field: 'errors' | 'slow', ratio0: number) =>
    updateShareTest(logs, g.added[field], b.added[field], g.added.requests, b.added.requests, ratio0);
  const ratio = 1 + config.tolerance;
  const next: JudgeState = {
    ...state,
    period: { ...period, counts: { green: g.seen, blue: b.seen } },
    total: { green: addCounts(state.total.green, g.added), blue: addCounts(state.total.blue, b.added) },
    logs: {
      errorRegression: share(state.logs.errorRegression, 'errors', ratio),
      latencyRegression: share(state.logs.latencyRegression, 'slow', ratio),
      errorWorse: share(state.logs.errorWorse, 'errors', 1),
      latencyWorse: share(state.logs.latencyWorse, 'slow', 1),
    },
  };
  return { state: next, verdict: sequentialVerdict(next, poll.reading, config) };
}

function sequentialVerdict(s: JudgeState, reading: Metrics | undefined, config: JudgeConfig): JudgeVerdict {
  const { phase, thresholds: t, counts } = s.period!;
  const floor = config.floorPct / 100;
  const regressionBound = 1 / (REGRESSION_SHARE * config.alpha);
  const limitBound = 1 / limitAlpha(config.alpha, s.periods, s.started);
  // Worse than blue is only testable while blue takes traffic.
  const withBlue = counts.blue.requests > 0;
  const limit = { errorPct: t.maxErrorRatePct, latencyMs: t.maxLatencyMs };
  const { green, blue } = s.total;
  const tests: CountTest[] = [
    {
      test: 'error_rate_limit',
      ...counts,
      e: Math.min(limitE(counts.green.errors, counts.green.requests, t.maxErrorRatePct / 100), withBlue ? mixtureE(s.logs.errorWorse) : Infinity),
      bound: limitBound,
      limit,
    },
    {
      test: 'error_rate_sequential',
      green,
      blue,
      e: Math.min(mixtureE(s.logs.errorRegression), limitE(green.errors, green.requests, floor)),
      bound: regressionBound,
      limit,
    },
    {
      test: 'latency_limit',
      ...counts,
      e: Math.min(limitE(counts.green.slow, counts.green.requests, SLOW_SHARE_AT_LIMIT), withBlue ? mixtureE(s.logs.latencyWorse) : Infinity),
      bound: limitBound,
      limit,
    },
    {
      // Shown on this period's counts: the slow threshold changes per stage, so totals would mix them.
      test: 'latency_sequential',
      ...counts,
      e: Math.min(mixtureE(s.logs.latencyRegression), limitE(green.slow, green.requests, floor)),
      bound: regressionBound,
      limit,
    },
  ];
  const top = tests.reduce((a, x) => (margin(x) > margin(a) ? x : a));
  const evidence = countEvidence(top);
  if (margin(top) >= 0) {
    const field = top.test.startsWith('error') ? 'errors' : 'slow';
    // The breach's threshold in %: the stage's limit, or what blue's rate allows green.
    const allowed = Math.max(config.floorPct, 100 * rateOf(top.blue[field], top.blue.requests) * (1 + config.tolerance));
    const threshold = { error_rate_limit: t.maxErrorRatePct, latency_limit: 100 * SLOW_SHARE_AT_LIMIT, error_rate_sequential: allowed, latency_sequential: allowed }[top.test];
    return { status: 'breach', phase, evidence, breach: breachOf(evidence, phase, 100 * rateOf(top.green[field], top.green.requests), threshold) };
  }
  const resource = reading && resourceBreach(reading, t, phase);
  if (resource) return { status: 'breach', phase, evidence: gateEvidence('resource', resource), breach: resource };
  if (counts.green.requests < config.minRequests) {
    return { status: 'inconclusive', phase, evidence, reason: `green served ${fmtCount(counts.green.requests)} requests in this period, ${config.minRequests} needed` };
  }
  return { status: 'healthy', phase, evidence };
}

const margin = (x: CountTest): number => Math.log(x.e) - Math.log(x.bound);
const rateOf = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);

/** Error rate and latency are judged on counts; the reading keeps today's CPU and memory gates. */
function resourceBreach(reading: Metrics, t: Thresholds, phase: string): Breach | undefined {
  return evaluateGate({ ...reading, errorRatePct: 0, latencyP95Ms: 0 }, { ...t, maxErrorRatePct: Infinity, maxLatencyMs: Infinity }, phase);
}

function gateEvidence(test: 'resource' | 'static', breach: Breach): JudgeEvidence {
  const metric = breach.metric === 'metrics_unavailable' ? 'error_rate' : breach.metric;
  return { test, metric, statistic: breach.value ?? 0, bound: breach.threshold ?? 0, text: breach.cause };
}

/** Today's rule exactly: evaluateGate on one rate-window reading; never inconclusive. */
function staticVerdict(p: JudgePeriod, reading: Metrics | undefined): JudgeVerdict {
  if (!reading) throw new Error('judge: the static judge needs the rate-window reading');
  const breach = evaluateGate(reading, p.thresholds, p.phase);
  if (breach) return { status: 'breach', phase: p.phase, evidence: gateEvidence('static', breach), breach };
  const t = p.thresholds;
  const text = `green error rate ${reading.errorRatePct.toFixed(2)}%, p95 latency ${Math.round(reading.latencyP95Ms)}ms within ${t.maxErrorRatePct.toFixed(2)}%, ${Math.round(t.maxLatencyMs)}ms`;
  return { status: 'healthy', phase: p.phase, evidence: { test: 'static', metric: 'error_rate', statistic: reading.errorRatePct, bound: t.maxErrorRatePct, text } };
}

export type PeriodStep =
  | { step: 'watch'; extended: boolean }
  | { step: 'proceed'; note?: string }
  | { step: 'rollback'; breach: Breach }
  | { step: 'pause'; reason: string };

/**
 * What the workflow does after a poll, `elapsedSeconds` into a period planned for `plannedSeconds`:
 * roll back on a breach; watch until the planned end; then go on if healthy, else keep watching
 * (extended) up to maxExtension × planned, and at that limit apply onInconclusive.
 */
export function afterPoll(verdict: JudgeVerdict, elapsedSeconds: number, plannedSeconds: number, config: JudgeConfig): PeriodStep {
  if (verdict.status === 'breach') return { step: 'rollback', breach: verdict.breach! };
  if (elapsedSeconds < plannedSeconds) return { step: 'watch', extended: false };
  if (verdict.status === 'healthy') return { step: 'proceed' };
  if (elapsedSeconds < plannedSeconds * config.maxExtension) return { step: 'watch', extended: true };
  const after = elapsedSeconds < 120 ? `${Math.round(elapsedSeconds)} s` : `${Math.round(elapsedSeconds / 60)} min`;
  const reason = `inconclusive after ${after} at ${verdict.phase}: ${verdict.reason ?? verdict.evidence.text}`;
  if (config.onInconclusive === 'promote') return { step: 'proceed', note: reason };
  if (config.onInconclusive === 'pause') return { step: 'pause', reason };
  return { step: 'rollback', breach: { metric: verdict.evidence.metric, phase: verdict.phase, cause: reason } };
}
