// Watching a region's candidate: each period (stage, validation, observation) is one activity that
// returns at once on a breach; the canary judge's state is carried from period to period. A hold
// (paused) goes on judging the period it follows, and a watch that goes silent holds the region.
import { ActivityFailure, ApplicationFailure, CancellationScope, condition, isCancellation, TimeoutFailure } from '@temporalio/workflow';
import { DEFAULT_JUDGE_CONFIG } from '../domain/judge-defaults.js';
import type { HostOutlier } from '../domain/judge-evidence.js';
import { startJudge, startPeriod, type JudgeState } from '../domain/judge.js';
import { unavailableBreach, type Thresholds } from '../domain/metrics.js';
import { scaledMs, stageLabel } from '../domain/plan.js';
import type { Card, RegionContext } from '../domain/ports.js';
import type { Stage } from '../domain/rollout-input.js';
import { DEFAULT_POLL_SECONDS, type WatchRequest, type WatchResult } from '../domain/watch.js';
import { ACTIVITY_PAUSED, WATCH_START_SECONDS, type RegionActivities } from './activity-stubs.js';
import type { RegionRolloutInput } from './messages.js';
import { failureMessage, RegionStopped } from './region-errors.js';
import type { RegionState } from './region-state.js';

/** A paused hold is watched in chunks this long (workflow time), each one activity. */
const HOLD_CHUNK_MS = 60 * 60_000;

/** A watched period as planned: what a hold after it goes on judging. */
interface Period {
  phase: string;
  thresholds: Thresholds;
  stage: Stage;
  startedAt: number;
  endsAt: number;
}

/** How one watch activity ended: its result, stopped by a resume, or silent (the region must hold). */
type Watched = { kind: 'result'; result: WatchResult } | { kind: 'stopped' } | { kind: 'silent'; reason: string };

/** What the watcher needs of the region's run: its input and state (colours, pause, abort), and its effects. */
export interface WatchHost {
  readonly input: RegionRolloutInput;
  readonly state: RegionState;
  readonly acts: RegionActivities;
  readonly ctx: RegionContext;
  /** A durable timer that an abort cuts short. */
  wait(ms: number, summary: string): Promise<void>;
  card(c: Omit<Card, 'correlationId' | 'service' | 'version' | 'region' | 'dryRun'>): Promise<void>;
  /** Takes a candidate host out of the balancer at `phase`, or stops the region when too few would be left. */
  takeOut(outlier: HostOutlier, phase: string): Promise<void>;
}

export class PeriodWatcher {
  /** The running period's scope: abort cancels it. */
  scope?: CancellationScope;
  private judgeState: JudgeState;
  /** The period last watched: what a hold goes on judging. */
  private current?: Period;
  private firstPeriodAt?: string;

  constructor(private readonly run: WatchHost) {
    const { stages, observeMinutes } = run.input;
    this.judgeState = startJudge(stages.length + 1 + (observeMinutes ? 1 : 0));
  }

  /** Watches `phase` for `minutes` (scaled) with `thresholds`; a dry run only walks past. */
  async watch(thresholds: Thresholds, phase: string, minutes: number, stage: Stage): Promise<void> {
    const { input } = this.run;
    if (input.dryRun) return;
    const ms = scaledMs(minutes * 60_000, input.timeScale);
    this.startPeriod(phase, thresholds, stage);
    const now = Date.now();
    await this.follow((this.current = { phase, thresholds, stage, startedAt: now, endsAt: now + ms }));
  }

  /** A judge period at the stage's weight; the first names the real colours (known once the weights were read). */
  private startPeriod(phase: string, thresholds: Thresholds, stage: Stage): void {
    const candidate = this.run.state.candidate ?? 'green';
    const stable = this.run.state.stable;
    const fresh = () => ({
      ...startJudge(this.judgeState.periods, { candidate, stable }, this.firstPeriodAt),
      started: this.judgeState.started,
    });
    if (this.judgeState.started === 0) {
      // The stable colour's lookback ends where the region's first period begins.
      this.firstPeriodAt = new Date(Date.now()).toISOString();
      this.judgeState = fresh();
    }
    this.judgeState = startPeriod(this.judgeState, { phase, thresholds, weightPct: stage.weightPct });
  }

  /** While paused: hold the weight and keep watching `stage` (a breach still rolls back) until resumed. */
  async hold(thresholds: Thresholds, phase: string, stage: Stage | undefined): Promise<void> {
    const { state, input } = this.run;
    if (stage && !input.dryRun) {
      // Goes on judging the period it follows (the stage before), which always was watched.
      const p = this.current ?? this.open(thresholds, phase, stage);
      await this.holdOn(p, phase);
      return this.lastPoll(p);
    }
    await condition(() => !state.paused || this.run.state.aborted);
    this.run.state.throwIfAborted();
  }

  /** A period opened now (a hold with no watched period before it). */
  private open(thresholds: Thresholds, phase: string, stage: Stage): Period {
    this.startPeriod(phase, thresholds, stage);
    return (this.current = { phase, thresholds, stage, startedAt: Date.now(), endsAt: Date.now() });
  }

  /**
   * Watches `p` to its planned end (extended while inconclusive or suspect). A breach rolls back. Undecided at
   * the longest extension, the region holds, then goes on once resumed. A silent watch holds the
   * region too; once resumed the rest of the period is watched.
   */
  private async follow(p: Period): Promise<void> {
    for (;;) {
      const w = await this.watchOnce(p, { phase: p.phase, endsAt: p.endsAt, hold: false });
      if (w.kind === 'silent') {
        await this.holdSilent(p, w.reason);
        continue;
      }
      if (w.kind !== 'result') return;
      // A host was taken out (watchOnce): the period goes on with the others.
      if (w.result.verdict === 'outlier') continue;
      if (w.result.verdict === 'inconclusive') {
        await this.pauseFor(p, 'the canary judge cannot decide at', w.result.note ?? 'inconclusive');
        await this.holdOn(p, `${p.phase} (paused: inconclusive)`);
        return this.lastPoll(p);
      }
      const left = p.endsAt - Date.now();
      if (left > 0) await this.run.wait(left, `${p.phase}: until the period's end`);
      return;
    }
  }

  /** The watch went silent: pause with the reason and a card, and hold on `p` until resumed. */
  private async holdSilent(p: Period, reason: string): Promise<void> {
    await this.pauseFor(p, 'the canary is not watched at', reason);
    await this.holdOn(p, `${p.phase} (paused: watch silent)`);
  }

  /** Pauses the region with its reason, and a card saying why (`why` ends before the phase). */
  private async pauseFor(p: Period, why: string, reason: string): Promise<void> {
    this.run.state.pause(reason);
    await this.run.card({ kind: 'paused', title: `${this.run.input.region} paused: ${why} ${p.phase}`, cause: reason, stage: p.phase });
  }

  /**
   * While paused: go on judging `p` (its limits, its counts since it began, the judge's state; no
   * new period, so no α spent) in chunks until resumed. A breach still rolls back. If the hold's own
   * watch goes silent, the reason says so and the region waits for a person.
   */
  private async holdOn(p: Period, phase: string): Promise<void> {
    const { state } = this.run;
    const resumed = () => !state.paused || this.run.state.aborted;
    while (!resumed()) {
      const w = await this.watchOnce(p, { phase, endsAt: Date.now() + HOLD_CHUNK_MS, hold: true, stopWhen: resumed });
      if (w.kind !== 'silent') continue;
      await this.pauseFor(p, 'the hold is not watched at', w.reason);
      await condition(resumed);
    }
    this.run.state.throwIfAborted();
  }

  /** After a resume: one poll of `p`, so the traffic of the cancelled hold is in the judge's state. */
  private async lastPoll(p: Period): Promise<void> {
    for (;;) {
      const w = await this.watchOnce(p, { phase: p.phase, endsAt: Date.now(), hold: true });
      if (w.kind !== 'silent') return;
      await this.holdSilent(p, w.reason);
    }
  }

  /**
   * One watch activity on `p`: counts since p began, the judge's state as it stands (no new period).
   * Applies its result; a breach rolls back. Abort cancels it, and so does `stopWhen`.
   */
  private async watchOnce(p: Period, o: { phase: string; endsAt: number; hold: boolean; stopWhen?: () => boolean }): Promise<Watched> {
    const { input, state } = this.run;
    const label = { label: stageLabel(p.stage), weightPct: p.stage.weightPct };
    const req: WatchRequest = {
      ctx: this.run.ctx,
      version: input.version,
      colour: state.candidate ?? 'green',
      baseline: state.stable,
      phase: o.phase,
      stage: label,
      thresholds: p.thresholds,
      startedAt: new Date(p.startedAt).toISOString(),
      endsAt: new Date(o.endsAt).toISOString(),
      pollSeconds: input.pollSeconds ?? DEFAULT_POLL_SECONDS,
      reportSeconds: scaledMs(input.checkIntervalSeconds * 1000, input.timeScale) / 1000,
      hold: o.hold,
      judge: { config: input.judge ?? DEFAULT_JUDGE_CONFIG, state: this.judgeState },
    };
    const scope = (this.scope = new CancellationScope());
    let settled = false;
    const watching = scope.run(() => this.run.acts.watchPeriod(req)).finally(() => void (settled = true));
    const { stopWhen } = o;
    if (stopWhen) {
      await condition(() => settled || stopWhen());
      if (!settled) scope.cancel();
    }
    let result: WatchResult;
    try {
      result = await watching;
    } catch (err) {
      if (isCancellation(err)) {
        this.run.state.throwIfAborted();
        if (stopWhen?.()) return { kind: 'stopped' };
        throw err;
      }
      const reason = silence(err, p.phase);
      if (reason) return { kind: 'silent', reason };
      throw new RegionStopped(unavailableBreach(p.phase, failureMessage(err)));
    } finally {
      if (this.scope === scope) this.scope = undefined;
    }
    this.judgeState = result.judgeState;
    if (result.last) state.lastMetrics = result.last;
    if (result.evidence) state.verdict = { phase: p.phase, test: result.evidence.test, text: result.evidence.text };
    if (result.breach) throw new RegionStopped({ ...result.breach, stage: label });
    if (result.outlier) await this.run.takeOut(result.outlier, o.phase);
    return { kind: 'result', result };
  }
}

/** Why a watch that failed went silent (paused, or lost): the region holds. Undefined: a real failure. */
function silence(err: unknown, phase: string): string | undefined {
  if (!(err instanceof ActivityFailure)) return undefined;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure && cause.type === ACTIVITY_PAUSED) {
    return (
      `watch paused at ${phase}: its activity was paused (Web UI or temporal activity pause); ` +
      'resume the region to watch again, or abort'
    );
  }
  if (!(cause instanceof TimeoutFailure)) return undefined;
  const why =
    cause.timeoutType === 'SCHEDULE_TO_START'
      ? `no worker started it within ${WATCH_START_SECONDS} s`
      : cause.timeoutType === 'HEARTBEAT'
        ? 'its worker stopped heartbeating'
        : `timed out (${cause.timeoutType})`;
  return `watch lost at ${phase}: ${why}; resume the region to watch again, or abort`;
}
