// The canary judge, called on every poll of a watched period (a canary stage, final validation, an
// observation window) with both colours' counts since the period began. It answers healthy,
// breach or inconclusive, with evidence. Pure; its state is a small JSON object that the workflow
// keeps between polls (and the watch activity puts in its heartbeat).
//
// Each poll is one bin of a betting e-process (judge-eprocess.ts): linear bets, so errors that come
// in bursts, counts a scrape delivers late, or an instance restarting move the evidence by a
// bounded factor per poll instead of proving a regression on their own. Rules, each needing BOTH
// of its tests to cross the bound:
//  - error regression: the candidate errs above (1 + tolerance) × the stable colour's rate, and
//    above the floor; one e-process across all the region's periods (the hypothesis is the same in
//    every stage and each poll bets with its period's traffic split, so stages add up). Where the
//    stable colour takes no live traffic (weight 100 %: a trickle of drained clients is no baseline),
//    the same e-process bets against (1 + tolerance) × an upper confidence bound of the stable
//    colour's rate before the rollout and in the region's earlier stages (before/after), so the
//    evidence of the live stages carries into the 100 % stage;
//  - latency regression: the same on the share of requests above the stage's latency limit;
//  - hard limits: the stage's own limits, per period, and the candidate worse than the stable colour
//    while it takes live traffic, so an incident that hits both colours is not blamed on the release;
//  - a candidate server that the balancer's health check has down is a breach at once.
//
// α is the chance that a good candidate is rolled back in a region over ALL looks of its rollout:
// Bonferroni over the rules, never over looks. Hard limits change per period, so they restart each
// period, their share split over the planned periods with one period's share kept for unplanned ones.
import { baselineOf, baselineTotals, plannedLook } from './judge-baseline.js';
import type { JudgeConfig } from './judge-config.js';
import { ALPHA_SHARES, SLOW_SHARE_AT_LIMIT, type JudgePeriod, type JudgePoll, type JudgeState } from './judge-state.js';
import { addCounts, advance, NO_COUNTS, NO_PAIR } from './judge-counts.js';
import { betRate, betShare, freshBets, mixtureE } from './judge-eprocess.js';
import { hostsAtPeriodStart, judgeHosts, NO_HOSTS } from './judge-hosts.js';
import { breachOf, countEvidence, fmtCount, fmtPct, type CountTest, type JudgeEvidence, type JudgeVerdict } from './judge-evidence.js';
import { gateEvidence, resourceBreach, staticVerdict } from './judge-static.js';

export type { JudgeConfig } from './judge-config.js';
export { slowFromBuckets, type ColourCounts, type ColourPair } from './judge-counts.js';
export type { JudgeTest, JudgeVerdict } from './judge-evidence.js';
export { afterPoll } from './judge-steps.js';
export { ALPHA_SHARES, type JudgePeriod, type JudgePoll, type JudgeState } from './judge-state.js';
export { needsBaseline, withBaseline } from './judge-baseline.js';

/** A baseline rate the regressions can bet against: one of 1 (everything fails) leaves them on the live split. */
const baselineRate = (rate: number | undefined): number | undefined => (rate !== undefined && rate < 1 ? rate : undefined);

/** A region's judge, before its first period. */
export function startJudge(
  periods: number,
  colours: JudgeState['colours'] = { candidate: 'green', stable: 'blue' },
  baselineEndsAt?: string,
): JudgeState {
  const b = freshBets;
  return {
    periods: Math.max(1, Math.floor(periods)),
    started: 0,
    colours,
    ...(baselineEndsAt ? { baselineEndsAt } : {}),
    serversUp: [],
    alone: NO_COUNTS,
    aloneSpread: { squares: 0, polls: 0 },
    looks: 0,
    total: NO_PAIR,
    hosts: NO_HOSTS,
    bets: { errorRegression: b(), latencyRegression: b(), errorFloor: b(), latencyFloor: b() },
    stableBins: [],
  };
}

/** Whether the stable colour takes live traffic in the period: by its planned weight, else by the counts. */
function stableLive(p: NonNullable<JudgeState['period']>): boolean {
  if (p.weightPct !== undefined) return p.weightPct < 100;
  const { green, blue } = p.counts;
  return blue.requests > 0.05 * (green.requests + blue.requests);
}

/** A new watched period: counts and hard-limit bets start from zero, the regression evidence carries on. */
export function startPeriod(state: JudgeState, period: JudgePeriod): JudgeState {
  const previous = state.period;
  const stableBins =
    previous && stableLive(previous) && previous.counts.blue.requests > 0 ? [...state.stableBins, previous.counts.blue] : state.stableBins;
  const b = freshBets;
  return {
    ...state,
    stableBins,
    hosts: hostsAtPeriodStart(state.hosts),
    started: state.started + 1,
    period: { ...period, counts: NO_PAIR, bets: { errorLimit: b(), latencyLimit: b(), errorWorse: b(), latencyWorse: b() } },
  };
}

/** The hard-limit α of one metric in the n-th period (1-based); summed over every n it is ALPHA_SHARES.limit × α. */
export function limitAlpha(alpha: number, periods: number, n: number): number {
  const slot = (ALPHA_SHARES.limit * alpha) / (periods + 1);
  return n <= periods ? slot : slot / 2 ** (n - periods);
}

/** One poll: the counts since the period began → the next state and a verdict. */
export function judge(state: JudgeState, poll: JudgePoll, config: JudgeConfig): { state: JudgeState; verdict: JudgeVerdict } {
  const period = state.period;
  if (!period) throw new Error('judge: call startPeriod before the first poll of a period');
  if (config.kind === 'static') return { state, verdict: staticVerdict(period, poll.reading, state.colours.candidate) };
  if (!poll.green || !poll.blue) throw new Error("judge: the sequential judge needs both colours' counts");

  const g = advance(period.counts.green, poll.green);
  const b = advance(period.counts.blue, poll.blue);
  const counts = { green: g.seen, blue: b.seen };
  const live = stableLive({ ...period, counts });
  const baseline = live
    ? state.baseline
    : (state.baseline ?? (config.baselineMinutes > 0 || state.stableBins.length ? baselineOf(state, config) : undefined));
  const t = period.thresholds;
  const ratio = 1 + config.tolerance;
  const floor = config.floorPct / 100;
  const ga = g.added;
  const ba = b.added;
  const pb = period.bets;
  const sb = state.bets;
  const newlyUp = (poll.up ?? []).filter((id) => !state.serversUp.includes(id));
  // Each poll's events are split by the period's requests so far (judge-eprocess.ts betShare).
  const gr = g.seen.requests;
  const br = b.seen.requests;
  // The regressions: against the live stable colour, or without it against its baseline's rate where there is one.
  const errorBase = live ? undefined : baselineRate(baseline?.errorRate);
  const slowBase = live ? undefined : baselineRate(baseline?.slowShare);
  const alone = live ? state.alone : addCounts(state.alone, ga);
  const spread = state.aloneSpread;
  const aloneSpread =
    live || ga.requests <= 0 ? spread : { squares: spread.squares + (ga.errors * ga.errors) / ga.requests, polls: spread.polls + 1 };
  const look = !live && poll.ended && !period.look ? plannedLook(state, alone, aloneSpread, config) : undefined;
  const next: JudgeState = {
    ...state,
    ...(baseline ? { baseline } : {}),
    ...(newlyUp.length ? { serversUp: [...state.serversUp, ...newlyUp].sort() } : {}),
    alone,
    aloneSpread,
    looks: state.looks + (look ? 1 : 0),
    period: {
      ...period,
      ...(look ? { look } : {}),
      counts,
      bets: {
        errorLimit: betRate(pb.errorLimit, ga.errors, ga.requests, t.maxErrorRatePct / 100),
        latencyLimit: betRate(pb.latencyLimit, ga.slow, ga.requests, SLOW_SHARE_AT_LIMIT),
        errorWorse: betShare(pb.errorWorse, ga.errors, ba.errors, gr, br, 1),
        latencyWorse: betShare(pb.latencyWorse, ga.slow, ba.slow, gr, br, 1),
      },
    },
    total: { green: addCounts(state.total.green, g.added), blue: addCounts(state.total.blue, b.added) },
    bets: {
      errorRegression:
        errorBase === undefined
          ? betShare(sb.errorRegression, ga.errors, ba.errors, gr, br, ratio)
          : betRate(sb.errorRegression, ga.errors, ga.requests, errorBase),
      latencyRegression:
        slowBase === undefined
          ? betShare(sb.latencyRegression, ga.slow, ba.slow, gr, br, ratio)
          : betRate(sb.latencyRegression, ga.slow, ga.requests, slowBase),
      errorFloor: betRate(sb.errorFloor, ga.errors, ga.requests, floor),
      latencyFloor: betRate(sb.latencyFloor, ga.slow, ga.requests, floor),
    },
  };
  // Each candidate host against its siblings: one far worse is taken out, unless the release is rolled back anyway.
  const hosts = poll.hosts ? judgeHosts(state.hosts, poll.hosts, config.alpha) : undefined;
  const judged = hosts ? { ...next, hosts: hosts.state } : next;
  const verdict = sequentialVerdict(judged, live, poll, config);
  return { state: judged, verdict: hosts?.outlier && verdict.status !== 'breach' ? { ...verdict, outlier: hosts.outlier } : verdict };
}

function sequentialVerdict(s: JudgeState, live: boolean, poll: JudgePoll, config: JudgeConfig): JudgeVerdict {
  const { phase, thresholds: t, counts, bets: pb } = s.period!;
  const names = s.colours;
  const down = (poll.down ?? []).filter((id) => s.serversUp.includes(id));
  if (down.length) {
    const text = `${names.candidate} server${down.length > 1 ? 's' : ''} ${down.join(', ')} down by the balancer's health check`;
    const evidence: JudgeEvidence = { test: 'server_down', metric: 'error_rate', statistic: down.length, bound: 1, text };
    return { status: 'breach', phase, evidence, breach: breachOf(evidence, phase) };
  }
  const seen = s.period!.look;
  if (seen && seen.z >= seen.bound && rateOf(s.alone.errors, s.alone.requests) > config.floorPct / 100) {
    const { requests, errors } = baselineTotals(s);
    const allowed = (100 * (1 + config.tolerance) * errors) / requests;
    const text =
      `${names.candidate} ${fmtCount(s.alone.errors)} errors / ${fmtCount(s.alone.requests)} ` +
      `— ${fmtPct(s.alone.errors, s.alone.requests)} ` +
      `against ${allowed.toFixed(2)} % allowed by ${names.stable} before (${fmtCount(errors)} / ${fmtCount(requests)}), ` +
      `z ${seen.z.toFixed(1)} > ${seen.bound.toFixed(1)} at the planned look`;
    const evidence: JudgeEvidence = {
      test: 'error_rate_baseline',
      metric: 'error_rate',
      green: s.alone,
      statistic: seen.z,
      bound: seen.bound,
      text,
    };
    return {
      status: 'breach',
      phase,
      evidence,
      breach: breachOf(evidence, phase, 100 * rateOf(s.alone.errors, s.alone.requests), allowed),
    };
  }
  const sb = s.bets;
  const limitBound = 1 / limitAlpha(config.alpha, s.periods, s.started);
  const limit = { errorPct: t.maxErrorRatePct, latencyMs: t.maxLatencyMs };
  const errorFloor = mixtureE(sb.errorFloor);
  const latencyFloor = mixtureE(sb.latencyFloor);
  // Numbers first (every poll); the evidence line only for the test that decides.
  // Without live stable traffic the regressions bet against the baseline (judge()): named for it.
  const errorTest = !live && (s.baseline?.errorRate ?? 1) < 1 ? 'error_rate_baseline' : 'error_rate_sequential';
  const latencyTest = !live && (s.baseline?.slowShare ?? 1) < 1 ? 'latency_baseline' : 'latency_sequential';
  const tests: [CountTest['test'], number, number][] = [
    ['error_rate_limit', Math.min(mixtureE(pb.errorLimit), live ? mixtureE(pb.errorWorse) : Infinity), limitBound],
    [errorTest, Math.min(mixtureE(sb.errorRegression), errorFloor), 1 / (ALPHA_SHARES.errorRegression * config.alpha)],
    ['latency_limit', Math.min(mixtureE(pb.latencyLimit), live ? mixtureE(pb.latencyWorse) : Infinity), limitBound],
    [latencyTest, Math.min(mixtureE(sb.latencyRegression), latencyFloor), 1 / (ALPHA_SHARES.latencyRegression * config.alpha)],
  ];
  const [test, e, bound] = tests.reduce((a, x) => (margin(x[1], x[2]) > margin(a[1], a[2]) ? x : a));
  // The error regression is shown on the region's counts (its evidence spans periods), the rest on this period's.
  const shown = test === 'error_rate_sequential' ? s.total : counts;
  const baseline = s.baseline && { errorPct: 100 * s.baseline.errorRate, slowPct: 100 * s.baseline.slowShare };
  const top: CountTest = { test, ...shown, names, live, limit, e, bound, ...(baseline ? { baseline } : {}) };
  const evidence = countEvidence(top);
  if (margin(e, bound) >= 0) {
    const field = top.test.startsWith('error') ? 'errors' : 'slow';
    // The breach's threshold in %: the stage's limit, what the stable colour's rate allows, or the baseline's.
    const allowed = Math.max(config.floorPct, 100 * rateOf(top.blue[field], top.blue.requests) * (1 + config.tolerance));
    const threshold = {
      error_rate_limit: t.maxErrorRatePct,
      latency_limit: 100 * SLOW_SHARE_AT_LIMIT,
      error_rate_sequential: allowed,
      latency_sequential: allowed,
      error_rate_baseline: 100 * (s.baseline?.errorRate ?? 0),
      latency_baseline: 100 * (s.baseline?.slowShare ?? 0),
    }[top.test];
    return {
      status: 'breach',
      phase,
      evidence,
      breach: breachOf(evidence, phase, 100 * rateOf(top.green[field], top.green.requests), threshold),
    };
  }
  const resource = poll.reading && resourceBreach(poll.reading, t, phase);
  if (resource) return { status: 'breach', phase, evidence: gateEvidence('resource', resource), breach: resource };
  if (counts.green.requests < config.minRequests) {
    const reason = `${names.candidate} served ${fmtCount(counts.green.requests)} requests in this period, ${config.minRequests} needed`;
    return { status: 'inconclusive', phase, evidence, reason };
  }
  return { status: 'healthy', phase, evidence, ...(2 * Math.log(e) >= Math.log(bound) ? { suspect: true } : {}) };
}

/** How far an e-value is past its bound, in log units (negative: short of it). */
const margin = (e: number, bound: number): number => Math.log(e) - Math.log(bound);
const rateOf = (part: number, whole: number): number => (whole > 0 ? part / whole : 0);
