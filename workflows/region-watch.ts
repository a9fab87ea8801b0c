// Watching a region's candidate: each period (stage, validation, observation, paused hold) is one
// activity that returns at once on a breach; the canary judge's state is carried from period to
// period. History recorded before the watch activity replays the per-check loop it was written by.
import { CancellationScope, condition, isCancellation, patched } from '@temporalio/workflow';
import { DEFAULT_JUDGE_CONFIG, startJudge, startPeriod, type JudgeState } from '../domain/judge.js';
import { evaluateGate, unavailableBreach, type Colour, type Metrics, type Thresholds } from '../domain/metrics.js';
import { checksIn, scaledMs, stageLabel } from '../domain/plan.js';
import type { Card, RegionContext } from '../domain/ports.js';
import type { Stage } from '../domain/rollout-input.js';
import { DEFAULT_POLL_SECONDS, type WatchRequest, type WatchResult } from '../domain/watch.js';
import type { RegionActivities } from './activity-stubs.js';
import type { RegionRolloutInput } from './messages.js';
import { failureMessage, RegionStopped } from './region-errors.js';
import type { RegionState } from './region-state.js';

/** History marker: periods are watched by one activity each, not a timer and a read per check. */
export const WATCH_PATCH = 'watch-period-activity';
/** A paused hold is watched in chunks this long (workflow time), each one activity. */
const HOLD_CHUNK_MS = 60 * 60_000;

/** What the watcher needs of the region's run. */
export interface WatchHost {
  readonly input: RegionRolloutInput;
  readonly state: RegionState;
  readonly acts: RegionActivities;
  readonly ctx: RegionContext;
  readonly candidate: Colour;
  readonly stable: Colour;
  readonly aborted: boolean;
  throwIfAborted(): void;
  /** A durable timer that an abort cuts short. */
  wait(ms: number, summary: string): Promise<void>;
  read(colour: Colour, phase: string): Promise<Metrics>;
  card(c: Omit<Card, 'correlationId' | 'service' | 'version' | 'region' | 'dryRun'>): Promise<void>;
}

export class PeriodWatcher {
  /** The running period's scope: abort cancels it. */
  scope?: CancellationScope;
  private judgeState: JudgeState;

  constructor(private readonly run: WatchHost) {
    const { stages, observeMinutes } = run.input;
    this.judgeState = startJudge(stages.length + 1 + (observeMinutes ? 1 : 0));
  }

  /** Watches `phase` for `minutes` (scaled) with `thresholds`; a dry run only walks past. */
  async watch(thresholds: Thresholds, phase: string, minutes: number, stage: Stage): Promise<void> {
    const { input } = this.run;
    if (input.dryRun) return;
    if (!patched(WATCH_PATCH)) return this.legacyWatch(thresholds, phase, minutes);
    await this.period(thresholds, phase, scaledMs(minutes * 60_000, input.timeScale), stage);
  }

  /** While paused: hold the weight and keep watching `stage` (a breach still rolls back) until resumed. */
  async hold(thresholds: Thresholds, phase: string, stage: Stage | undefined): Promise<void> {
    const { state, input } = this.run;
    if (!patched(WATCH_PATCH)) return this.legacyHold(thresholds, phase, stage);
    const resumed = () => !state.paused || this.run.aborted;
    while (!resumed()) {
      if (stage && !input.dryRun) await this.period(thresholds, phase, HOLD_CHUNK_MS, stage, resumed);
      else await condition(resumed);
    }
    this.run.throwIfAborted();
  }

  /**
   * One activity watches the period and returns at once on a breach. Abort cancels it; `stopWhen`
   * (a hold's resume) does too. A period never ends before its end by the workflow's clock.
   */
  private async period(thresholds: Thresholds, phase: string, ms: number, stage: Stage, stopWhen?: () => boolean): Promise<void> {
    const { input, state } = this.run;
    const startedAt = Date.now();
    const config = input.judge ?? DEFAULT_JUDGE_CONFIG;
    this.judgeState = startPeriod(this.judgeState, { phase, thresholds });
    const label = { label: stageLabel(stage), weightPct: stage.weightPct };
    const req: WatchRequest = {
      ctx: this.run.ctx,
      version: input.version,
      colour: this.run.candidate,
      baseline: this.run.stable,
      phase,
      stage: label,
      thresholds,
      startedAt: new Date(startedAt).toISOString(),
      endsAt: new Date(startedAt + ms).toISOString(),
      pollSeconds: input.pollSeconds ?? DEFAULT_POLL_SECONDS,
      reportSeconds: scaledMs(input.checkIntervalSeconds * 1000, input.timeScale) / 1000,
      hold: stopWhen !== undefined,
      judge: { config, state: this.judgeState },
    };
    const scope = (this.scope = new CancellationScope());
    let settled = false;
    const watching = scope.run(() => this.run.acts.watchPeriod(req)).finally(() => void (settled = true));
    if (stopWhen) {
      await condition(() => settled || stopWhen());
      if (!settled) scope.cancel();
    }
    let result: WatchResult;
    try {
      result = await watching;
    } catch (err) {
      if (!isCancellation(err)) throw new RegionStopped(unavailableBreach(phase, failureMessage(err)));
      this.run.throwIfAborted();
      if (stopWhen?.()) return;
      throw err;
    } finally {
      if (this.scope === scope) this.scope = undefined;
    }
    this.judgeState = result.judgeState;
    if (result.last) state.lastMetrics = result.last;
    if (result.evidence) state.verdict = { phase, test: result.evidence.test, text: result.evidence.text };
    if (result.breach) throw new RegionStopped({ ...result.breach, stage: label });
    if (result.verdict === 'inconclusive') return this.pauseInconclusive(thresholds, phase, stage, result.note ?? 'inconclusive');
    const left = startedAt + ms - Date.now();
    if (left > 0 && !stopWhen) await this.run.wait(left, `${phase}: until the period's end`);
  }

  /** Still undecided at the longest extension (onInconclusive 'pause'): ask a person, hold until resumed. */
  private async pauseInconclusive(thresholds: Thresholds, phase: string, stage: Stage, reason: string): Promise<void> {
    const { state, input } = this.run;
    state.pause(reason);
    await this.run.card({ kind: 'paused', title: `${input.region} paused: the canary judge cannot decide at ${phase}`, cause: reason, stage: phase });
    await this.hold(thresholds, `${phase} (paused: inconclusive)`, stage);
  }

  /** The per-check loop: a durable timer, then one read, per check interval. */
  private async legacyWatch(thresholds: Thresholds, phase: string, minutes: number): Promise<void> {
    const { checkIntervalSeconds, timeScale } = this.run.input;
    for (let i = 0; i < checksIn(minutes, checkIntervalSeconds); i++) {
      await this.run.wait(scaledMs(checkIntervalSeconds * 1000, timeScale), `${phase}: next check`);
      await this.gate(thresholds, phase);
    }
  }

  private async legacyHold(thresholds: Thresholds, phase: string, stage: Stage | undefined): Promise<void> {
    const { state, input } = this.run;
    while (state.paused) {
      this.run.throwIfAborted();
      if (await condition(() => !state.paused || this.run.aborted, scaledMs(input.checkIntervalSeconds * 1000, input.timeScale))) break;
      if (stage && !input.dryRun) await this.gate(thresholds, phase);
    }
  }

  private async gate(thresholds: Thresholds, phase: string): Promise<void> {
    const breach = evaluateGate(await this.run.read(this.run.candidate, phase), thresholds, phase);
    if (breach) throw new RegionStopped(breach);
  }
}
