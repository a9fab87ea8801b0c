// The canary judge as pure functions: no Temporal, no I/O.
import { describe, expect, it } from 'vitest';
import { Rng, binomial, poisson } from '../../bench/random.js';
import {
  afterPoll,
  ALPHA_SHARES,
  judge,
  limitAlpha,
  slowFromBuckets,
  startJudge,
  startPeriod,
  withBaseline,
  type ColourCounts,
  type JudgeConfig,
  type JudgePeriod,
  type JudgeState,
  type JudgeVerdict,
} from '../../domain/judge.js';
import { mixtureE, RISK_GRID } from '../../domain/judge-eprocess.js';
import { judgeConfigSchema } from '../../domain/judge-config.js';
import { DEFAULT_JUDGE_CONFIG } from '../../domain/judge-defaults.js';
import { evaluateGate, type Metrics, type Thresholds } from '../../domain/metrics.js';

const stage = (weightPct: number, maxErrorRatePct: number, maxLatencyMs = 500): JudgePeriod => ({
  phase: `canary ${weightPct}%`,
  weightPct,
  thresholds: { maxErrorRatePct, maxLatencyMs, comparison: 'atMost' },
});
const counts = (requests: number, errors: number, slow = 0): ColourCounts => ({ requests, errors, slow });

/** Polls a period with cumulative counts that grow by the given per-poll rates; stops at the first breach. */
function watch(
  state: JudgeState,
  polls: number,
  perPoll: { green: ColourCounts; blue: ColourCounts },
  config: JudgeConfig = DEFAULT_JUDGE_CONFIG,
) {
  const verdicts: JudgeVerdict[] = [];
  for (let i = 1; i <= polls; i++) {
    const scale = (c: ColourCounts) => counts(c.requests * i, c.errors * i, c.slow * i);
    const r = judge(state, { green: scale(perPoll.green), blue: scale(perPoll.blue) }, config);
    state = r.state;
    verdicts.push(r.verdict);
    if (r.verdict.status === 'breach') break;
  }
  return { state, verdicts, last: verdicts.at(-1)! };
}

describe('judge config', () => {
  it('defaults to the sequential judge at alpha 0.01 that pauses when inconclusive, extending up to 2×', () => {
    expect(DEFAULT_JUDGE_CONFIG).toMatchObject({ kind: 'sequential', alpha: 0.01, onInconclusive: 'pause', maxExtension: 2 });
    // The plain defaults the workflows read are exactly what the schema fills in.
    expect(judgeConfigSchema.parse({})).toEqual(DEFAULT_JUDGE_CONFIG);
  });

  it('refuses unknown fields and out-of-range values', () => {
    expect(judgeConfigSchema.safeParse({ alpah: 0.01 }).success).toBe(false);
    expect(judgeConfigSchema.safeParse({ alpha: 0 }).success).toBe(false);
    expect(judgeConfigSchema.safeParse({ onInconclusive: 'ignore' }).success).toBe(false);
    expect(judgeConfigSchema.safeParse({ maxExtension: 0.5 }).success).toBe(false);
  });
});

describe('sequential judge', () => {
  const first = (p: JudgePeriod = stage(25, 0.8)) => startPeriod(startJudge(6), p);

  it('a green like blue is never a breach over many looks, and healthy once it has enough requests', () => {
    const { verdicts } = watch(first(), 200, { green: counts(250, 1, 2), blue: counts(750, 3, 6) });
    expect(verdicts.every((v) => v.status !== 'breach')).toBe(true);
    expect(verdicts.at(-1)!.status).toBe('healthy');
  });

  it('thin data is inconclusive, never healthy and never a breach', () => {
    // 10 % of 20 requests/min, polled every 5 s: a green request every other poll or so; one error reads 50 % on a rate window.
    let state = first(stage(10, 1));
    const statuses: string[] = [];
    let last: JudgeVerdict | undefined;
    for (let poll = 1; poll <= 10; poll++) {
      const r = judge(state, { green: counts(poll, poll >= 3 ? 1 : 0), blue: counts(9 * poll, 0) }, DEFAULT_JUDGE_CONFIG);
      state = r.state;
      statuses.push(r.verdict.status);
      last = r.verdict;
    }
    expect(statuses).toEqual(Array(10).fill('inconclusive'));
    expect(last!.reason).toBe('green served 10 requests in this period, 50 needed');
  });

  it('one error among a few green requests is no breach', () => {
    const v = judge(first(stage(10, 1)), { green: counts(2, 1), blue: counts(18, 0) }, DEFAULT_JUDGE_CONFIG).verdict;
    expect(v.status).toBe('inconclusive');
  });

  it('catches a green 12× worse than blue that passes the static limit (0.6 % vs 0.05 %)', () => {
    const { last, verdicts } = watch(first(), 120, { green: counts(500, 3), blue: counts(1500, 0.75) });
    expect(last.status).toBe('breach');
    expect(last.evidence.test).toBe('error_rate_sequential');
    expect(last.breach).toMatchObject({ metric: 'error_rate', phase: 'canary 25%' });
    expect(verdicts.length).toBeLessThan(120);
    // The static gate reads 0.6 % against 0.8 % and passes.
    expect(evaluateGate({ errorRatePct: 0.6, latencyP95Ms: 200, sampledAt: '' }, stage(25, 0.8).thresholds, 'canary 25%')).toBeUndefined();
  });

  it('an incident that hits both colours (3 % errors, limit 0.8 %) is not rolled back; green alone at 3 % is', () => {
    const both = watch(first(), 60, { green: counts(250, 7.5), blue: counts(750, 22.5) });
    expect(both.verdicts.every((v) => v.status !== 'breach')).toBe(true);
    const alone = watch(first(), 60, { green: counts(250, 7.5), blue: counts(750, 1.5) });
    expect(alone.last.status).toBe('breach');
  });

  it('a green that fails most requests is rolled back within its first 20 requests, with or without blue traffic', () => {
    for (const [period, blueShare] of [
      [stage(10, 1), 9],
      [stage(100, 0.2), 0],
    ] as const) {
      let state = first(period);
      let rolledBackAt = 0;
      for (let n = 1; n <= 20 && !rolledBackAt; n++) {
        const r = judge(state, { green: counts(n, Math.floor(n * 0.8)), blue: counts(n * blueShare, 0) }, DEFAULT_JUDGE_CONFIG);
        state = r.state;
        if (r.verdict.status === 'breach') rolledBackAt = n;
      }
      expect(rolledBackAt, period.phase).toBeGreaterThan(0);
    }
  });

  it('catches a slower green on the share of requests above the latency limit', () => {
    const { last } = watch(first(stage(50, 0.5, 400)), 120, { green: counts(500, 1, 4), blue: counts(500, 1, 0.5) });
    expect(last.status).toBe('breach');
    expect(last.evidence.test).toBe('latency_sequential');
    expect(last.evidence.text).toMatch(/^green \d+ slow \(> 400 ms\) \/ [\d,]+ vs blue/);
  });

  it('does not blame green for 0.01 % errors when blue has none (the absolute floor)', () => {
    const { verdicts } = watch(first(), 400, { green: counts(1000, 0.1), blue: counts(3000, 0) });
    expect(verdicts.every((v) => v.status !== 'breach')).toBe(true);
  });

  it('says what it saw: counts, rates, the statistic and its bound', () => {
    // Ten polls at the 10 % stage: green 1.4 % errors, blue 0.2 %.
    const greenErrors = [1, 2, 1, 2, 1, 2, 1, 1, 2, 1];
    const blueErrors = [2, 2, 2, 2, 2, 2, 2, 2, 1, 1];
    let state = first(stage(10, 1));
    let v: JudgeVerdict | undefined;
    for (let i = 0, ge = 0, be = 0; i < 10 && v?.status !== 'breach'; i++) {
      ge += greenErrors[i]!;
      be += blueErrors[i]!;
      ({ state, verdict: v } = judge(state, { green: counts(100 * (i + 1), ge), blue: counts(900 * (i + 1), be) }, DEFAULT_JUDGE_CONFIG));
    }
    expect(v!.status).toBe('breach');
    expect(v!.evidence).toMatchObject({ test: 'error_rate_sequential', bound: 1 / (ALPHA_SHARES.errorRegression * 0.01) });
    expect(v!.evidence.statistic).toBeGreaterThan(v!.evidence.bound);
    const { green, blue } = v!.evidence;
    const pct = (c: ColourCounts) => ((100 * c.errors) / c.requests).toFixed(2);
    expect(v!.evidence.text).toBe(
      `green ${green!.errors} errors / ${green!.requests.toLocaleString('en')} ` +
        `vs blue ${blue!.errors} / ${blue!.requests.toLocaleString('en')}` +
        ` — ${pct(green!)} % vs ${pct(blue!)} %, evidence ${v!.evidence.text.match(/evidence (\S+)/)![1]}` +
        ` > ${Math.round(1 / (ALPHA_SHARES.errorRegression * 0.01))}`,
    );
    expect(v!.breach!.cause).toBe(`error rate regression at canary 10%: ${v!.evidence.text}`);
  });

  it('names the candidate and the stable colour by their real colours (blue as the candidate)', () => {
    const state = startPeriod(startJudge(6, { candidate: 'blue', stable: 'green' }), stage(10, 1));
    const v = judge(state, { green: counts(1000, 14), blue: counts(9000, 18) }, DEFAULT_JUDGE_CONFIG).verdict;
    expect(v.evidence.text).toMatch(/^blue 14 errors \/ 1,000 vs green 18 \/ 9,000 — 1\.40 % vs 0\.20 %/);
    const thin = judge(
      startPeriod(startJudge(6, { candidate: 'blue', stable: 'green' }), stage(10, 1)),
      { green: counts(5, 0), blue: counts(45, 0) },
      DEFAULT_JUDGE_CONFIG,
    );
    expect(thin.verdict.reason).toBe('blue served 5 requests in this period, 50 needed');
  });

  it('a burst of errors in one poll of a green equal to blue moves the evidence by a bounded factor', () => {
    // Ten errors at once on green (one instance's retry storm) at the 10 % stage: a likelihood ratio
    // would read ten independent proofs (about 1e9); the bet reads one surplus.
    const state = first(stage(10, 1));
    const v = judge(state, { green: counts(100, 10), blue: counts(900, 1) }, { ...DEFAULT_JUDGE_CONFIG, floorPct: 0 }).verdict;
    expect(v.status).not.toBe('breach');
    expect(v.evidence.statistic).toBeLessThan(100);
  });

  it('a candidate server the balancer has down is a breach that names it, once it has been up', () => {
    // Just after the deploy the balancer still has the restarted server down: not a breach.
    const deployed = judge(
      first(),
      { green: counts(50, 0), blue: counts(150, 0), down: ['green-2'], up: ['green-1'] },
      DEFAULT_JUDGE_CONFIG,
    );
    expect(deployed.verdict.status).not.toBe('breach');
    const up = judge(
      deployed.state,
      { green: counts(100, 0), blue: counts(300, 0), down: [], up: ['green-1', 'green-2'] },
      DEFAULT_JUDGE_CONFIG,
    );
    const v = judge(
      up.state,
      { green: counts(150, 0), blue: counts(450, 0), down: ['green-2'], up: ['green-1'] },
      DEFAULT_JUDGE_CONFIG,
    ).verdict;
    expect(v.status).toBe('breach');
    expect(v.breach!.cause).toBe("candidate server down at canary 25%: green server green-2 down by the balancer's health check");
  });

  it('at 100 % a trickle on the stable colour is no baseline: a green at 20 % errors is rolled back at once', () => {
    // Drained keep-alive clients still reach blue: 1 % of requests.
    const { last, verdicts } = watch(first(stage(100, 0.2)), 12, { green: counts(17, 3.4), blue: counts(0.17, 0) });
    expect(last.status).toBe('breach');
    expect(last.evidence.test).toBe('error_rate_limit');
    expect(verdicts.length).toBeLessThanOrEqual(12);
  });

  it('at 100 % a green under the hard limit but clear against the stable baseline is rolled back', () => {
    // Blue before the rollout: 0.2 % errors over 6 h at 200 requests/min; every hard limit 1 %.
    const lookback = Array.from({ length: 36 }, () => counts(2000, 4, 10));
    const at100 = (greenErrors: number) =>
      watch(startPeriod(withBaseline(startJudge(6), lookback), stage(100, 1)), 360, { green: counts(17, greenErrors), blue: counts(0, 0) });
    const subtle = at100(0.006 * 17);
    expect(subtle.last.status).toBe('breach');
    expect(subtle.last.evidence.test).toBe('error_rate_baseline');
    expect(subtle.last.evidence.text).toMatch(/^green \d+ errors \/ [\d,]+ — 0\.60 % against 0\.\d\d % allowed by blue before/);
    expect(at100(0.002 * 17).verdicts.every((v) => v.status !== 'breach')).toBe(true);
  });

  it("judges a poll's events by the period's traffic split, not the poll's own", () => {
    // 10 % stage, 20 polls of 2 green and 18 blue requests, no errors; then a poll that happened to
    // hold 5 green requests and 15 blue, with one green error. Its own split would allow green
    // 27 % of the events (one error pays at most 3.7×); the period's allows 12 % (up to 8.6×).
    let state = first(stage(10, 1));
    for (let i = 1; i <= 20; i++) state = judge(state, { green: counts(2 * i, 0), blue: counts(18 * i, 0) }, DEFAULT_JUDGE_CONFIG).state;
    const before = state.bets.errorRegression;
    const after = judge(state, { green: counts(45, 1), blue: counts(375, 0) }, DEFAULT_JUDGE_CONFIG).state.bets.errorRegression;
    const p0 = (45 * 1.1) / (45 * 1.1 + 375);
    RISK_GRID.forEach((k, i) => expect(after[i]! - before[i]!).toBeCloseTo(Math.log(k / (1 + (k - 1) * p0)), 9));
    // k = 10 pays 4.9× where the poll's own split would have paid 2.9×.
    expect(RISK_GRID[4]).toBe(10);
    expect(Math.exp(after[4]! - before[4]!)).toBeGreaterThan(4.5);
  });

  it("carries the live stages' evidence into the 100 % stage, where the same e-process bets against the baseline", () => {
    // Blue before the rollout: 0.2 % errors over 6 h at 200 requests/min. Green at 0.6 % against
    // blue's 0.2 %: in 40 s of a 25 % stage too little for a breach, but the evidence is kept.
    const lookback = Array.from({ length: 36 }, () => counts(2000, 4, 10));
    const start = () => startPeriod(withBaseline(startJudge(6), lookback), stage(25, 1));
    const live = watch(start(), 8, { green: counts(4, 0.024), blue: counts(12, 0.024) });
    expect(live.verdicts.every((v) => v.status !== 'breach')).toBe(true);
    expect(mixtureE(live.state.bets.errorRegression)).toBeGreaterThan(5);
    const at100 = (s: JudgeState) => watch(startPeriod(s, stage(100, 1)), 360, { green: counts(17, 0.006 * 17), blue: counts(0, 0) });
    const carried = at100(live.state);
    const fresh = at100(start());
    expect(carried.last.status).toBe('breach');
    expect(carried.last.evidence).toMatchObject({ test: 'error_rate_baseline', bound: 1 / (ALPHA_SHARES.errorRegression * 0.01) });
    expect(carried.verdicts.length).toBeLessThan(fresh.verdicts.length);
  });

  it('keeps its state as plain JSON: a restored state judges the same', () => {
    const { state } = watch(first(), 30, { green: counts(250, 2), blue: counts(750, 2) });
    const poll = { green: counts(250 * 31, 2 * 31), blue: counts(750 * 31, 2 * 31) };
    const restored = JSON.parse(JSON.stringify(state)) as JudgeState;
    expect(judge(restored, poll, DEFAULT_JUDGE_CONFIG)).toEqual(judge(state, poll, DEFAULT_JUDGE_CONFIG));
  });

  it('a counter that dips (extrapolation, a restart) adds nothing, and its recovery is not counted twice', () => {
    let state = first();
    for (const green of [counts(100, 1), counts(90, 0), counts(100, 1), counts(150, 1)]) {
      state = judge(state, { green, blue: counts(300, 1) }, DEFAULT_JUDGE_CONFIG).state;
    }
    expect(state.period!.counts.green).toEqual(counts(150, 1));
    expect(state.total.green).toEqual(counts(150, 1));
  });
});

describe('static judge', () => {
  const readings: Partial<Metrics>[] = [
    {},
    { errorRatePct: 0.8 },
    { errorRatePct: 0.81 },
    { latencyP95Ms: 451 },
    { errorRatePct: Number.NaN },
    { cpuPct: 95 },
    { memoryPct: 90 },
  ];
  const thresholds: Thresholds[] = [
    { maxErrorRatePct: 0.8, maxLatencyMs: 450, maxCpuPct: 80, maxMemoryPct: 85, comparison: 'atMost' },
    { maxErrorRatePct: 0.8, maxLatencyMs: 450, comparison: 'below' },
  ];
  const config = { ...DEFAULT_JUDGE_CONFIG, kind: 'static' as const };

  it('decides exactly as evaluateGate on the same reading', () => {
    for (const t of thresholds) {
      for (const r of readings) {
        const reading: Metrics = {
          errorRatePct: 0.1,
          latencyP95Ms: 120,
          cpuPct: 40,
          memoryPct: 50,
          sampledAt: '2026-11-26T00:00:00Z',
          ...r,
        };
        const state = startPeriod(startJudge(6), { phase: 'canary 25%', thresholds: t });
        const { verdict } = judge(state, { reading }, config);
        const breach = evaluateGate(reading, t, 'canary 25%');
        expect(verdict.status).toBe(breach ? 'breach' : 'healthy');
        expect(verdict.breach).toEqual(breach);
      }
    }
  });
});

describe('afterPoll', () => {
  const state = startPeriod(startJudge(6), stage(10, 1));
  const thin = judge(state, { green: counts(5, 0), blue: counts(45, 0) }, DEFAULT_JUDGE_CONFIG).verdict;
  const healthy = judge(state, { green: counts(500, 1), blue: counts(4500, 9) }, DEFAULT_JUDGE_CONFIG).verdict;
  // 10 % errors on green, polled five times: a breach.
  const breach = [1, 2, 3, 4, 5].reduce(
    (r, i) => judge(r.state, { green: counts(100 * i, 10 * i), blue: counts(900 * i, 2 * i) }, DEFAULT_JUDGE_CONFIG),
    { state, verdict: undefined as unknown as JudgeVerdict },
  ).verdict;

  it('rolls back on a breach at any time, watches until the planned end, then proceeds when healthy', () => {
    expect(afterPoll(breach, 30, 300, DEFAULT_JUDGE_CONFIG)).toEqual({ step: 'rollback', breach: breach.breach });
    expect(afterPoll(healthy, 270, 300, DEFAULT_JUDGE_CONFIG)).toEqual({ step: 'watch', extended: false });
    expect(afterPoll(healthy, 300, 300, DEFAULT_JUDGE_CONFIG)).toEqual({ step: 'proceed' });
  });

  it('marks healthy evidence past halfway (in log) to its bound suspect; extends it up to maxExtension, then goes on', () => {
    // One error a poll on green's 100 requests, none on blue's 900: evidence 4.9, then 30 (√167 ≈ 12.9), then a breach.
    const polled = watch(state, 2, { green: counts(100, 1), blue: counts(900, 0) });
    const [first, second] = polled.verdicts;
    expect(first).toMatchObject({ status: 'healthy' });
    expect(first!.suspect).toBeUndefined();
    expect(second).toMatchObject({ status: 'healthy', suspect: true, evidence: { test: 'error_rate_sequential' } });
    expect(second!.evidence.statistic).toBeGreaterThan(Math.sqrt(second!.evidence.bound));
    expect(afterPoll(second!, 270, 300, DEFAULT_JUDGE_CONFIG)).toEqual({ step: 'watch', extended: false });
    expect(afterPoll(second!, 300, 300, DEFAULT_JUDGE_CONFIG)).toEqual({ step: 'watch', extended: true });
    expect(afterPoll(second!, 600, 300, DEFAULT_JUDGE_CONFIG)).toEqual({ step: 'proceed' });
  });

  it('extends an inconclusive period up to maxExtension, then applies onInconclusive', () => {
    expect(afterPoll(thin, 300, 300, DEFAULT_JUDGE_CONFIG)).toEqual({ step: 'watch', extended: true });
    expect(afterPoll(thin, 570, 300, DEFAULT_JUDGE_CONFIG)).toEqual({ step: 'watch', extended: true });
    const pause = afterPoll(thin, 600, 300, DEFAULT_JUDGE_CONFIG);
    expect(pause).toEqual({
      step: 'pause',
      reason: 'inconclusive after 10 min at canary 10%: green served 5 requests in this period, 50 needed',
    });
    expect(afterPoll(thin, 600, 300, { ...DEFAULT_JUDGE_CONFIG, onInconclusive: 'promote' })).toMatchObject({
      step: 'proceed',
      note: expect.stringContaining('inconclusive'),
    });
    expect(afterPoll(thin, 600, 300, { ...DEFAULT_JUDGE_CONFIG, onInconclusive: 'rollback' })).toMatchObject({
      step: 'rollback',
      breach: { phase: 'canary 10%' },
    });
  });
});

describe('slowFromBuckets', () => {
  const buckets = [
    { le: 0.3, count: 90 },
    { le: Infinity, count: 100 },
    { le: 0.4, count: 96 },
  ];
  it('counts requests above the largest bucket bound at or below the limit', () => {
    expect(slowFromBuckets(buckets, 400)).toEqual({ requests: 100, slow: 4 });
    expect(slowFromBuckets(buckets, 350)).toEqual({ requests: 100, slow: 10 });
    expect(slowFromBuckets(buckets, 200)).toEqual({ requests: 100, slow: 100 });
    expect(() => slowFromBuckets(buckets.slice(0, 1), 400)).toThrow(/\+Inf/);
  });
});

describe('false rollbacks over a whole rollout', () => {
  it('hard-limit alpha over any number of periods adds up to its share, never more', () => {
    const total = Array.from({ length: 60 }, (_, i) => limitAlpha(0.01, 6, i + 1)).reduce((a, b) => a + b, 0);
    expect(total).toBeLessThanOrEqual(ALPHA_SHARES.limit * 0.01 * (1 + 1e-12));
    expect(total).toBeGreaterThan(0.99 * ALPHA_SHARES.limit * 0.01);
  });

  it('the rules share alpha: their shares add up to 1', () => {
    const { errorRegression, latencyRegression, limit, baselineBound, baselineLook } = ALPHA_SHARES;
    // Hard limits and baseline bounds count once per metric (errors, latency).
    expect(errorRegression + latencyRegression + 2 * limit + 2 * baselineBound + baselineLook).toBeCloseTo(1, 12);
  });

  // Green exactly at the edge of every null: (1 + tolerance) × blue's rate, equal to each stage's
  // limit, no floor. Every look of every period counts; the share rolled back must stay ≤ alpha.
  /** Errors among n requests at `rate`, in clusters of geometric size with mean `burst` (1: independent). */
  function errorsOf(rng: Rng, n: number, rate: number, burst: number): number {
    if (burst <= 1) return binomial(rng, n, rate);
    let errors = 0;
    for (let c = poisson(rng, (n * rate) / burst); c > 0; c--) for (errors++; rng.next() < 1 - 1 / burst;) errors++;
    return Math.min(n, errors);
  }

  /**
   * `aliased`: each colour's instances scraped every 15 s while the judge polls every 5 s, so a poll
   * holds the candidate's scrape and not the stable colour's, or the other way round (requests and
   * errors alike): a poll's own split swings from 0 to twice the period's.
   */
  function rollouts(runs: number, greenOverBlue: number, burst = 1, aliased = false): number {
    const config: JudgeConfig = { ...DEFAULT_JUDGE_CONFIG, alpha: 0.1, tolerance: 0.1, floorPct: 0, baselineMinutes: 0 };
    const weights = [10, 25, 50, 75, 100];
    const blueRate = 0.01;
    const greenRate = blueRate * greenOverBlue;
    const rng = new Rng(20261127);
    let rolledBack = 0;
    for (let run = 0; run < runs; run++) {
      let state = startJudge(weights.length);
      rollout: for (const w of weights) {
        state = startPeriod(state, stage(w, 100 * blueRate * 1.1));
        const green = counts(0, 0);
        const blue = counts(0, 0);
        for (let poll = 0; poll < 20; poll++) {
          const swing = aliased
            ? [
                [0, 2],
                [1, 1],
                [2, 0],
              ][poll % 3]!
            : [1, 1];
          for (const [c, share, rate, k] of [
            [green, w, greenRate, swing[0]!],
            [blue, 100 - w, blueRate, swing[1]!],
          ] as const) {
            const n = poisson(rng, share * 2 * k);
            c.requests += n;
            c.errors += errorsOf(rng, n, rate, burst);
            c.slow += errorsOf(rng, n, 0.05 * (c === green ? greenOverBlue / 1.1 : 1 / 1.1), burst);
          }
          const r = judge(state, { green: { ...green }, blue: { ...blue } }, config);
          state = r.state;
          if (r.verdict.status === 'breach') {
            rolledBack++;
            break rollout;
          }
        }
      }
    }
    return rolledBack / runs;
  }

  it('stays at or below alpha on the edge of the null (seeded Monte-Carlo), and is not blind', () => {
    expect(rollouts(400, 1.1)).toBeLessThanOrEqual(0.1);
    expect(rollouts(100, 3)).toBeGreaterThan(0.5);
  });

  it('stays at or below alpha when errors and slow requests come in bursts (clusters of 10 on average)', () => {
    expect(rollouts(400, 1.1, 10)).toBeLessThanOrEqual(0.1);
  });

  it("stays at or below alpha when a poll's own traffic split swings (scrapes slower than polls): the period's split holds", () => {
    expect(rollouts(400, 1.1, 1, true)).toBeLessThanOrEqual(0.1);
    expect(rollouts(400, 1.1, 3, true)).toBeLessThanOrEqual(0.1);
    expect(rollouts(100, 3, 1, true)).toBeGreaterThan(0.5);
  });
});
