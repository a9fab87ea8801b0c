// One region's rollout through the default stage table and the final validation, judged through
// the watch's own poll path (domain/watch.ts onPoll / onReadFailure: failed reads, extensions,
// pauses) on what Prometheus would answer about a production-shaped service (bench/traffic.ts):
// raw counters per instance differenced as the watch activity does (domain/counters.ts), the
// balancer's servers, and the stable colour's counts before the rollout (the judge's baseline).
import { startJudge, startPeriod, withBaseline, type JudgeConfig, type JudgePeriod } from '../domain/judge.js';
import type { Metrics } from '../domain/metrics.js';
import { FINAL_VALIDATION_MINUTES, stageLabel } from '../domain/plan.js';
import { DEFAULT_STAGES, type Stage } from '../domain/rollout-input.js';
import { countSamples, onPoll, onReadFailure, startProgress, type WatchProgress, type WatchRequest } from '../domain/watch.js';
import { windowReading } from './prometheus.js';
import { Rng } from './random.js';
import { World, type Fault, type WorldModel } from './traffic.js';

export const POLL_SECONDS = 5;
const STATIC_POLL_SECONDS = 30;
const WINDOW_SECONDS = 60;
/** A read that fails now and then (Prometheus busy, a timeout): the watch tolerates a few in a row. */
const FAILED_READ_RATE = 0.002;

interface SimPeriod extends JudgePeriod {
  weightPct: number;
  seconds: number;
}

/** The default stage table, then the 5-minute final validation at 100 % (strictly below the last limits). */
function periodsOf(stages: Stage[]): SimPeriod[] {
  const last = stages.at(-1)!;
  return [
    ...stages.map((s) => ({
      weightPct: s.weightPct,
      seconds: s.durationMinutes * 60,
      phase: `canary ${stageLabel(s)}`,
      thresholds: { maxErrorRatePct: s.maxErrorRatePct, maxLatencyMs: s.maxLatencyMs, comparison: 'atMost' as const },
    })),
    {
      weightPct: 100,
      seconds: FINAL_VALIDATION_MINUTES * 60,
      phase: 'final validation',
      thresholds: { maxErrorRatePct: last.maxErrorRatePct, maxLatencyMs: last.maxLatencyMs, comparison: 'below' as const },
    },
  ];
}
export const PERIODS = periodsOf(DEFAULT_STAGES);

/** When each period starts if none is extended: for faults placed relative to a stage. */
export const PLANNED_STARTS = PERIODS.reduce<number[]>((acc, p, i) => [...acc, i ? acc[i - 1]! + PERIODS[i - 1]!.seconds : 0], []);

export interface Scenario {
  name: string;
  rpms: readonly number[];
  /** A regression: its rows count detections; a healthy one's count false rollbacks. */
  regression: boolean;
  model: WorldModel;
  /** Stage limits other than the default table's. */
  stages?: Stage[];
  /** The fault of one canary (its draws come from the canary's own stream). */
  fault?(rng: Rng, model: WorldModel): Fault;
  /** Seconds from the first stage's start at which the fault shows (detection time counts from it). */
  faultFrom?: number;
  /** Run only when named (`--only`): too costly for the default run. */
  named?: boolean;
  /** What counts as caught in time: within seconds of the fault, or before the period with this index. */
  deadline?: { seconds: number } | { beforePeriod: number };
}

export interface CanaryOutcome {
  rolledBack: boolean;
  /** Seconds from the fault (or the first stage's start) to the rollback. */
  detectSeconds?: number;
  /** Index of the period that rolled back. */
  period?: number;
  cause?: string;
  metricsUnavailable: boolean;
  /** Some period ended inconclusive at its longest (the sim then resumes, as an operator would). */
  inconclusive: boolean;
  /** Some period ran past its planned end (too few requests, or suspect evidence). */
  extended: boolean;
  /** A candidate instance was judged far worse than its siblings (in production: taken out of the balancer). */
  hostOut: boolean;
}

/** One canary under one judge; `seed` fixes its world. */
export function simulateCanary(scenario: Scenario, rpm: number, seed: number, config: JudgeConfig): CanaryOutcome {
  const rng = new Rng(seed);
  const periods = scenario.stages ? periodsOf(scenario.stages) : PERIODS;
  const staticJudge = config.kind === 'static';
  const fault = scenario.fault?.(rng, scenario.model) ?? {};
  const world = new World(scenario.model, rng, rpm, fault, staticJudge);
  const lastLimit = periods.at(-1)!.thresholds.maxLatencyMs;
  let state = startJudge(periods.length, { candidate: 'green', stable: 'blue' });
  if (config.kind === 'sequential' && config.baselineMinutes > 0) {
    state = withBaseline(state, world.past(new Rng(seed, 7), config.baselineMinutes, config.baselineBinMinutes, lastLimit));
  }
  const pollSeconds = staticJudge ? STATIC_POLL_SECONDS : POLL_SECONDS;
  const from = fault.dies?.at ?? scenario.faultFrom ?? 0;
  let t = 0;
  let inconclusive = false;
  let extended = false;
  let hostOut = false;
  for (const [index, period] of periods.entries()) {
    state = startPeriod(state, period);
    world.weightPct = period.weightPct;
    world.advance(t);
    const req: Pick<WatchRequest, 'judge' | 'startedAt' | 'endsAt' | 'hold' | 'phase'> = {
      judge: { config, state },
      startedAt: new Date(t * 1000).toISOString(),
      endsAt: new Date((t + period.seconds) * 1000).toISOString(),
      hold: false,
      phase: period.phase,
    };
    const limit = period.thresholds.maxLatencyMs;
    // Samples as the watch reads them, the candidate as `green`; the first at the period's start.
    const sample = () => ({ green: world.sample('candidate', limit), blue: world.sample('stable', limit) });
    const start = sample();
    let progress: WatchProgress = startProgress(req);
    for (;;) {
      t += pollSeconds;
      world.advance(t);
      let step;
      if (rng.next() < FAILED_READ_RATE) {
        step = onReadFailure(progress, 'Prometheus failed reading requests: HTTP 503', period.phase);
      } else if (staticJudge) {
        const reading = staticReading(world, t);
        step = Number.isFinite(reading.errorRatePct)
          ? onPoll(progress, { reading }, req, t * 1000)
          : onReadFailure(progress, 'no data for error rate', period.phase);
      } else {
        const counted = countSamples(progress, progress.samples ?? start, sample());
        step = onPoll(counted.progress, { reading: NO_READING, ...counted.poll }, req, t * 1000);
      }
      progress = step.progress;
      extended ||= progress.extended === true;
      const done = step.done;
      if (!done) continue;
      state = done.judgeState;
      // The balancer stops sending it requests, and the period goes on.
      if (done.verdict === 'outlier') {
        hostOut = true;
        world.takeOut(done.outlier!.host);
        continue;
      }
      if (done.verdict === 'breach') {
        const cause = done.breach!.cause;
        return {
          rolledBack: true,
          detectSeconds: t - from,
          period: index,
          cause,
          metricsUnavailable: done.breach!.metric === 'metrics_unavailable',
          inconclusive,
          extended,
          hostOut,
        };
      }
      if (done.verdict === 'inconclusive' || done.note) inconclusive = true;
      // The region waits out the planned period even when the judge is done early.
      t = Math.max(t, Date.parse(req.endsAt) / 1000);
      break;
    }
  }
  return { rolledBack: false, metricsUnavailable: false, inconclusive, extended, hostOut };
}

const NO_READING: Metrics = { errorRatePct: NaN, latencyP95Ms: NaN, sampledAt: '' };
/** The candidate's 1-minute rate-window reading, as the static gate reads it. */
function staticReading(world: World, t: number): Metrics {
  const histories = world.instances.filter((i) => i.role === 'candidate').map((i) => i.history ?? []);
  return { ...windowReading(histories, t, WINDOW_SECONDS), sampledAt: '' };
}
