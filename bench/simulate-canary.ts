// A seeded canary simulator: one region's rollout through the default stage table and the final
// validation, with request streams drawn per 5-second tick and fed to a judge.
//
// Traffic: Poisson arrivals at `rpm` to the service, split by the stage's weight; every request is
// a 5xx with its colour's error rate and takes a lognormal time (σ = 0.5, p95 = 200 ms on the
// baseline, i.e. median 88 ms), counted in the sample service's histogram buckets. Each tick's
// draws are a function of (canary, tick, colour) only, so both judges see identical streams while
// their weights agree; once the sequential judge extends a stage, each sees its own weights' traffic.
//
// Static judge, as main has it: every 30 s one reading of green over a 1-minute window (errors /
// requests, histogram_quantile(0.95) over the buckets), no requests in the window = no data, which
// the workflow turns into a rollback; evaluateGate with the stage's limits (final validation 'below').
// Sequential judge: polled every 5 s with both colours' counts since the period began.
import { judge, afterPoll, slowFromBuckets, startJudge, startPeriod, type JudgeConfig, type JudgePeriod, type JudgePoll } from '../domain/judge.js';
import type { Colour, Metrics } from '../domain/metrics.js';
import { FINAL_VALIDATION_MINUTES, stageLabel } from '../domain/plan.js';
import { DEFAULT_STAGES } from '../domain/rollout-input.js';
import { LATENCY_BUCKETS } from '../lab/sample-service.js';
import { binomial, normalCdf, poisson, Rng } from './random.js';

export const TICK_SECONDS = 5;
const STATIC_POLL_SECONDS = 30;
const SEQUENTIAL_POLL_SECONDS = 5;
const WINDOW_TICKS = 60 / TICK_SECONDS;
const BASELINE_MEDIAN_MS = 200 / Math.exp(1.6449 * 0.5);
const SIGMA = 0.5;
/** Bucket upper bounds in seconds, the last +Inf. */
const LE = [...LATENCY_BUCKETS, Infinity];

export interface Behaviour {
  errorRate: number;
  /** Multiplies every request's time (1.2 = 20 % slower). */
  latencyScale: number;
}

export interface Scenario {
  name: string;
  /** How a colour behaves `t` seconds after the first stage began. */
  behaviour(colour: Colour, t: number): Behaviour;
}

const steady = (name: string, green: Behaviour, blue: Behaviour = { errorRate: 0.002, latencyScale: 1 }): Scenario => ({
  name,
  behaviour: (c) => (c === 'green' ? green : blue),
});

/** Minutes 7–13 (the 25 % and 50 % stages): both colours at 3 % errors. */
export const INCIDENT = { fromSeconds: 420, toSeconds: 780, errorRate: 0.03 };

export const SCENARIOS: Scenario[] = [
  steady('healthy', { errorRate: 0.002, latencyScale: 1 }),
  steady('subtle', { errorRate: 0.005, latencyScale: 1 }),
  steady('moderate', { errorRate: 0.01, latencyScale: 1 }),
  steady('gross', { errorRate: 0.05, latencyScale: 1 }),
  steady('latency+20%', { errorRate: 0.002, latencyScale: 1.2 }),
  steady('latency+100%', { errorRate: 0.002, latencyScale: 2 }),
  {
    name: 'incident',
    behaviour: (_c, t) => ({ errorRate: t >= INCIDENT.fromSeconds && t < INCIDENT.toSeconds ? INCIDENT.errorRate : 0.002, latencyScale: 1 }),
  },
];

interface SimPeriod extends JudgePeriod {
  weightPct: number;
  seconds: number;
}

/** The default stage table, then the 5-minute final validation at 100 % (strictly below the last limits). */
export const PERIODS: SimPeriod[] = [
  ...DEFAULT_STAGES.map((s) => ({
    weightPct: s.weightPct,
    seconds: s.durationMinutes * 60,
    phase: `canary ${stageLabel(s)}`,
    thresholds: { maxErrorRatePct: s.maxErrorRatePct, maxLatencyMs: s.maxLatencyMs, comparison: 'atMost' as const },
  })),
  (() => {
    const last = DEFAULT_STAGES.at(-1)!;
    const thresholds = { maxErrorRatePct: last.maxErrorRatePct, maxLatencyMs: last.maxLatencyMs, comparison: 'below' as const };
    return { weightPct: 100, seconds: FINAL_VALIDATION_MINUTES * 60, phase: 'final validation', thresholds };
  })(),
];

const bucketShares = new Map<number, number[]>();
/** Probability of each (non-cumulative) bucket for a latency scale. */
function shares(scale: number): number[] {
  let s = bucketShares.get(scale);
  if (!s) {
    const cdf = LE.map((le) => (le === Infinity ? 1 : normalCdf((Math.log(le * 1000) - Math.log(BASELINE_MEDIAN_MS * scale)) / SIGMA)));
    s = cdf.map((p, i) => p - (i ? cdf[i - 1]! : 0));
    bucketShares.set(scale, s);
  }
  return s;
}

/** One colour's requests in one tick: counts per bucket (into `buckets`) and 5xx. */
function drawTick(rng: Rng, expected: number, b: Behaviour, buckets: Float64Array): { requests: number; errors: number } {
  const q = shares(b.latencyScale);
  let requests = 0;
  for (let i = 0; i < LE.length; i++) requests += buckets[i] = poisson(rng, expected * q[i]!);
  return { requests, errors: binomial(rng, requests, b.errorRate) };
}

/** Prometheus's histogram_quantile on cumulative bucket counts. */
export function histogramQuantile(q: number, cumulative: ArrayLike<number>): number {
  const total = cumulative[LE.length - 1]!;
  if (total === 0) return NaN;
  const rank = q * total;
  let b = 0;
  while (cumulative[b]! < rank) b++;
  if (b === LE.length - 1) return LE[LE.length - 2]!;
  const start = b ? LE[b - 1]! : 0;
  const below = b ? cumulative[b - 1]! : 0;
  return start + (LE[b]! - start) * ((rank - below) / (cumulative[b]! - below));
}

/** Where slowFromBuckets starts counting slow for a limit: bucket i counts i + 1 requests cumulatively. */
function firstSlowBucket(limitMs: number): number {
  return LE.length - slowFromBuckets(LE.map((le, i) => ({ le, count: i + 1 })), limitMs).slow;
}

export interface CanaryOutcome {
  rolledBack: boolean;
  /** Seconds from the first stage's start to the rollback. */
  detectSeconds?: number;
  /** Index in PERIODS of the period that rolled back. */
  period?: number;
  /** The rollback's cause, as the card would print it. */
  cause?: string;
  /** Some period stayed inconclusive to its longest (the sim then resumes, as an operator would). */
  inconclusive: boolean;
}

/** One canary under one judge; `seed` fixes its request streams. */
export function simulateCanary(scenario: Scenario, rpm: number, seed: number, config: JudgeConfig): CanaryOutcome {
  const staticJudge = config.kind === 'static';
  const pollTicks = (staticJudge ? STATIC_POLL_SECONDS : SEQUENTIAL_POLL_SECONDS) / TICK_SECONDS;
  const rng = new Rng(seed);
  const tickBuckets = new Float64Array(LE.length);
  // Static: green's last minute, tick by tick; sequential: both colours' counts since the period began.
  const window = Array.from({ length: WINDOW_TICKS }, () => ({ buckets: new Float64Array(LE.length), errors: 0 }));
  let state = startJudge(PERIODS.length);
  let tick = 0;
  let inconclusive = false;
  for (const [index, period] of PERIODS.entries()) {
    state = startPeriod(state, period);
    const slowFrom = firstSlowBucket(period.thresholds.maxLatencyMs);
    const since = { green: { requests: 0, errors: 0, slow: 0 }, blue: { requests: 0, errors: 0, slow: 0 } };
    for (let elapsed = 0; ; ) {
      for (let i = 0; i < pollTicks; i++, tick++) {
        for (const colour of staticJudge ? (['green'] as const) : (['green', 'blue'] as const)) {
          const weight = (colour === 'green' ? period.weightPct : 100 - period.weightPct) / 100;
          rng.reseed(seed, tick, colour === 'green' ? 1 : 2);
          const drawn = drawTick(rng, (rpm / 60) * TICK_SECONDS * weight, scenario.behaviour(colour, tick * TICK_SECONDS), tickBuckets);
          if (staticJudge) {
            const slot = window[tick % WINDOW_TICKS]!;
            slot.buckets.set(tickBuckets);
            slot.errors = drawn.errors;
          } else {
            const c = since[colour];
            c.requests += drawn.requests;
            c.errors += drawn.errors;
            for (let b = slowFrom; b < LE.length; b++) c.slow += tickBuckets[b]!;
          }
        }
      }
      elapsed += pollTicks * TICK_SECONDS;
      const poll: JudgePoll = staticJudge ? { reading: windowReading(window) } : { green: { ...since.green }, blue: { ...since.blue } };
      const judged = judge(state, poll, config);
      state = judged.state;
      const step = afterPoll(judged.verdict, elapsed, period.seconds, config);
      if (step.step === 'rollback') return { rolledBack: true, detectSeconds: tick * TICK_SECONDS, period: index, cause: step.breach.cause, inconclusive };
      if (step.step === 'watch') continue;
      if (step.step === 'pause' || step.note) inconclusive = true;
      break;
    }
  }
  return { rolledBack: false, inconclusive };
}

/** Green over the last minute as the Prometheus activity reads it; no requests reads as NaN (no data). */
function windowReading(window: { buckets: Float64Array; errors: number }[]): Metrics {
  const cumulative = new Float64Array(LE.length);
  let errors = 0;
  for (const slot of window) {
    errors += slot.errors;
    for (let i = 0; i < LE.length; i++) cumulative[i]! += slot.buckets[i]!;
  }
  for (let i = 1; i < LE.length; i++) cumulative[i]! += cumulative[i - 1]!;
  const requests = cumulative[LE.length - 1]!;
  return { errorRatePct: requests > 0 ? (100 * errors) / requests : NaN, latencyP95Ms: 1000 * histogramQuantile(0.95, cumulative), sampledAt: '' };
}
