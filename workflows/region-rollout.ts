// One region's rollout: approval gate → deploy candidate colour → baseline → canary stages with
// metric gates → final validation → promote → optional observation window. Any breach, abort or
// cancellation rolls this region (and only this region) back at once.
import { CancellationScope, condition, currentUpdateInfo, isCancellation, log, setCurrentDetails, setHandler } from '@temporalio/workflow';
import { otherColour, unavailableBreach, type Breach, type Colour, type Metrics } from '../domain/metrics.js';
import type { RegionResult } from '../domain/outcome.js';
import type { Card, RegionContext, StageReport, TrafficWeights } from '../domain/ports.js';
import type { Stage } from '../domain/rollout-input.js';
import { FINAL_VALIDATION_MINUTES, finalThresholds, stageLabel, stageThresholds, weightsFor } from '../domain/plan.js';
import { regionActivities, type RegionActivities } from './activity-stubs.js';
import {
  abortSignal,
  approveSignal,
  approveUpdate,
  pauseSignal,
  regionStatusQuery,
  resumeSignal,
  type RegionRolloutInput,
} from './messages.js';
import { ApprovalTimedOut, failureMessage, FleetBelowMinimum, RegionAborted, RegionStopped } from './region-errors.js';
import { belowMinimum, type HostOutcome } from '../domain/fleet.js';
import type { HostOutlier } from '../domain/judge-evidence.js';
import { RegionState } from './region-state.js';
import { awaitApprovals } from './region-approval-gate.js';
import { PeriodWatcher, type WatchHost } from './region-watch.js';
import { Compensations } from './compensations.js';

export type { RegionRolloutInput } from './messages.js';

export async function regionRollout(input: RegionRolloutInput): Promise<RegionResult> {
  const state = new RegionState(input, setCurrentDetails);
  const acts = regionActivities(input.activityTaskQueue);
  const ctx: RegionContext = { correlationId: input.correlationId, service: input.service, region: input.region, dryRun: input.dryRun };
  const run = new RegionRun(input, state, acts, ctx);

  // Abort wakes every wait at once and cancels a deploy in progress; a short activity in flight
  // (a weight change, a metrics read) finishes first, so no late weight change races the rollback.
  setHandler(pauseSignal, ({ reason, seq } = {}) => state.pause(reason, seq));
  setHandler(resumeSignal, ({ seq } = {}) => state.resume(seq));
  setHandler(abortSignal, ({ reason } = { reason: '' }) => {
    state.abortReason ??= reason || 'aborted by operator';
    run.deployScope?.cancel();
    run.watcher.scope?.cancel();
  });
  // A signal cannot answer: an invalid approval is logged and ignored (the update rejects it).
  setHandler(approveSignal, (req) => {
    const problem = state.approvalProblem(req ?? {});
    if (problem) log.warn('approval ignored', { region: input.region, reason: problem });
    else state.approve(req.role, req.approver);
  });
  setHandler(approveUpdate, (req) => state.approve(req.role, req.approver, currentUpdateInfo()?.id), {
    validator: (req) => state.validateApproval(req),
  });
  setHandler(regionStatusQuery, () => state.status());

  try {
    await run.forward();
    return state.finish('succeeded', input.dryRun ? 'dry run: every step reported, nothing changed' : undefined);
  } catch (err) {
    return CancellationScope.nonCancellable(() => run.stop(err));
  }
}

class RegionRun implements WatchHost {
  private readonly compensations = new Compensations();
  deployScope?: CancellationScope;
  readonly watcher: PeriodWatcher;
  /** The candidate's hosts as deployed, then as taken out. */
  private hosts: HostOutcome[] = [];

  constructor(
    readonly input: RegionRolloutInput,
    readonly state: RegionState,
    readonly acts: RegionActivities,
    readonly ctx: RegionContext,
  ) {
    this.watcher = new PeriodWatcher(this);
  }

  private get candidate(): Colour {
    return this.state.candidate ?? 'green';
  }

  private get stable(): Colour {
    return this.state.stable;
  }

  /** From the first change on, rollback puts all traffic back on the stable colour. */
  private trafficChanges(): void {
    this.compensations.add('traffic', () => this.setWeights(weightsFor(this.stable, 100), undefined, true));
  }

  async forward(): Promise<void> {
    const { input, state, acts, ctx } = this;
    if (input.approvals && !this.input.dryRun) await awaitApprovals(input, input.approvals, state, (c) => this.card(c));

    const weights = await acts.readTrafficWeights(ctx);
    state.candidate = otherColour(weights.green > weights.blue ? 'green' : 'blue');
    state.weights = weights;
    // Metrics the judge cannot count from are refused before anything changes.
    await acts.checkMetrics(
      ctx,
      input.stages.map((s) => s.maxLatencyMs),
    );
    // Never restart a colour that still takes traffic.
    if (weights[this.candidate] > 0) await this.setWeights(weightsFor(this.candidate, 0));

    state.phase = 'deploying';
    this.state.throwIfAborted();
    this.trafficChanges();
    this.deployScope = new CancellationScope();
    const policy = input.deployPolicy;
    const deploy = { ctx, colour: this.candidate, version: input.version, artifact: input.artifact, policy };
    const fleet = await this.deployScope.run(() =>
      acts.deploy.executeWithOptions({ summary: `${input.region}: deploy ${input.version} to ${this.candidate}` }, [deploy]),
    );
    const short = belowMinimum(fleet.hosts, policy.minimumHealthy);
    if (short) throw new FleetBelowMinimum(`deploy of ${input.version} to ${this.candidate}: ${short}`);
    // The hosts that failed stay out of the balancer; the rollout goes on with the healthy ones.
    this.hosts = fleet.hosts;
    state.outOfService = fleet.hosts.filter((h) => !h.healthy);

    state.phase = 'baseline';
    await this.read(this.stable, 'baseline');

    state.phase = 'canary';
    for (const stage of input.stages) await this.runStage(stage);

    state.phase = 'validating';
    await this.watcher.watch(
      finalThresholds(this.input.stages, this.input.resourceLimits),
      'final validation',
      FINAL_VALIDATION_MINUTES,
      this.lastStage,
    );

    state.phase = 'promoting';
    const dns = await this.pointDns(this.candidate);
    const previous = dns.previous ?? this.stable;
    if (dns.changed) this.compensations.add('dns', async () => void (await this.pointDns(previous)));
    await this.report({ stage: 'promote', weightPct: 100, outcome: 'promoted', metrics: state.lastMetrics });
    state.liveColour = this.candidate;

    if (input.observeMinutes && !this.input.dryRun) await this.observe(input.observeMinutes);
    await this.card({
      kind: 'success',
      title: `${input.region} promoted ${input.version}`,
      metrics: state.lastMetrics,
      thresholds: finalThresholds(this.input.stages, this.input.resourceLimits),
    });
  }

  private async runStage(stage: Stage): Promise<void> {
    const { state } = this;
    const label = stageLabel(stage);
    await this.holdWhilePaused(stage, label);
    await this.setWeights(weightsFor(this.candidate, stage.weightPct), label);
    await this.report({ stage: label, weightPct: stage.weightPct, outcome: 'in_progress' });
    await this.watcher.watch(stageThresholds(this.input.resourceLimits, stage), `canary ${label}`, stage.durationMinutes, stage);
    await this.report({ stage: label, weightPct: stage.weightPct, outcome: 'passed', metrics: state.lastMetrics });
  }

  /** Pause holds the current stage (no weight change) while it is watched: a breach still rolls back. */
  private async holdWhilePaused(stage: Stage, label: string): Promise<void> {
    if (!this.state.paused) return;
    const current = this.input.stages[this.input.stages.indexOf(stage) - 1];
    const phase = current ? `canary ${stageLabel(current)} (paused before ${label})` : `paused before ${label}`;
    await this.watcher.hold(
      current ? stageThresholds(this.input.resourceLimits, current) : finalThresholds(this.input.stages, this.input.resourceLimits),
      phase,
      current,
    );
  }

  private async observe(minutes: number): Promise<void> {
    const { state, input } = this;
    state.phase = 'observing';
    const next = input.nextRegion ? ` before ${input.nextRegion}` : '';
    await this.card({ kind: 'observation', title: `${input.region} promoted; observing ${minutes} min${next}` });
    await this.watcher.watch(finalThresholds(this.input.stages, this.input.resourceLimits), 'observation window', minutes, this.lastStage);
  }

  /** A candidate host far worse than its siblings: out of the balancer, or the region stops when too few would be left. */
  async takeOut(o: HostOutlier, phase: string): Promise<void> {
    const out: HostOutcome = { host: o.host, healthy: false, reason: `far worse than its siblings at ${phase}: ${o.reason}` };
    const known = this.hosts.some((h) => h.host === o.host);
    this.hosts = known ? this.hosts.map((h) => (h.host === o.host ? out : h)) : [...this.hosts, out];
    const short = belowMinimum(this.hosts, this.input.deployPolicy.minimumHealthy);
    if (short) throw new RegionStopped({ metric: 'error_rate', phase, cause: `host ${o.host} ${out.reason}; ${short}` });
    this.state.outOfService = this.hosts.filter((h) => !h.healthy);
    // The same split between the colours, the candidate's share spread over the hosts left.
    if (this.state.weights) await this.setWeights(this.state.weights);
    await this.card({ kind: 'host_out', title: `${this.input.region}: ${o.host} taken out at ${phase}`, cause: out.reason, stage: phase });
  }

  /** A durable timer that an abort cuts short; the summary names it in the Web UI. */
  async wait(ms: number, summary: string): Promise<void> {
    await condition(() => this.state.aborted, ms, { summary: `${this.input.region}: ${summary}` });
    this.state.throwIfAborted();
  }

  private pointDns(colour: Colour) {
    return this.acts.pointDnsAt.executeWithOptions({ summary: `${this.input.region}: DNS → ${colour}` }, [this.ctx, colour]);
  }

  /** A reading; unavailable metrics stop the region. */
  async read(colour: Colour, phase: string): Promise<Metrics> {
    try {
      const metrics = await this.acts.readMetrics(this.ctx, colour);
      if (colour === this.candidate) this.state.lastMetrics = metrics;
      return metrics;
    } catch (err) {
      if (isCancellation(err)) throw err;
      throw new RegionStopped(unavailableBreach(phase, failureMessage(err)));
    }
  }

  /**
   * Applies weights; a stage's weight counts as reached once applied, even if an abort arrived
   * meanwhile. An abort stops the region after any change but rollback's own.
   */
  private async setWeights(weights: TrafficWeights, stage?: string, undoing = false): Promise<void> {
    if (!undoing) this.trafficChanges();
    const to = weights[this.candidate] > 0 ? this.candidate : this.stable;
    const outOfService = this.state.outOfService.map((h) => h.host);
    const summary = `${this.input.region}: ${to} → ${weights[to]} %`;
    await this.acts.setTrafficWeights.executeWithOptions({ summary }, [this.ctx, weights, outOfService]);
    if (stage) {
      this.state.stage = stage;
      this.state.stageReached = weights[this.candidate];
    }
    this.state.weights = weights;
    if (!undoing) this.state.throwIfAborted();
  }

  private get lastStage(): Stage {
    return this.input.stages[this.input.stages.length - 1]!;
  }

  /** After a breach, abort, cancellation or failure: put the region back on its stable colour. */
  async stop(err: unknown): Promise<RegionResult> {
    const { state, input } = this;
    // Cancelling this workflow directly (Web UI, CLI) is an abort too.
    const aborted = err instanceof RegionAborted || isCancellation(err);
    const breach = err instanceof RegionStopped ? err.breach : undefined;
    if (err instanceof ApprovalTimedOut) return state.finish('aborted', err.message);
    const cause = breach?.cause ?? (aborted ? (state.abortReason ?? 'cancelled') : `failed: ${failureMessage(err)}`);
    // Aborted before anything changed: nothing to roll back.
    if (aborted && this.compensations.none) return state.finish('aborted', cause);
    state.phase = 'rolling_back';
    const rollbackError = await this.rollback();
    await this.report({
      stage: state.stage ?? 'deploy',
      weightPct: state.stageReached,
      outcome: 'rolled_back',
      metrics: state.lastMetrics,
    });
    await this.card({
      kind: 'rollback',
      title: `${input.region} rolled back to ${this.stable}${rollbackError ? ' — ROLLBACK INCOMPLETE' : ''}`,
      stage: state.stage,
      cause: rollbackError ? `${cause}; rollback incomplete: ${rollbackError}` : cause,
      breach,
      metrics: state.lastMetrics,
      impact: `${input.region}: up to ${state.stageReached}% of traffic on ${input.version}`,
      thresholds: breach ? this.thresholdsAt(breach) : undefined,
    });
    const result = state.finish(
      aborted ? 'aborted' : 'rolled_back',
      rollbackError ? `${cause}; rollback incomplete: ${rollbackError}` : cause,
      breach,
    );
    return rollbackError ? { ...result, rollbackError } : result;
  }

  /** Undoes the region's changes; traffic ends on the stable colour. */
  private async rollback(): Promise<string | undefined> {
    const problems = await this.compensations.undoAll();
    this.state.liveColour = this.stable;
    return problems;
  }

  private thresholdsAt(breach: Breach): Card['thresholds'] {
    const stage = this.input.stages.find((s) => s.weightPct === breach.stage?.weightPct) ?? this.lastStage;
    return { maxErrorRatePct: stage.maxErrorRatePct, maxLatencyMs: stage.maxLatencyMs };
  }

  private async report(r: Omit<StageReport, 'version'>): Promise<void> {
    await this.acts.pushStageMetrics(this.ctx, { version: this.input.version, ...r }).catch(() => undefined);
  }

  async card(c: Omit<Card, 'correlationId' | 'service' | 'version' | 'region' | 'dryRun'>): Promise<void> {
    const { correlationId, service, version, region, dryRun } = this.input;
    const candidate = this.state.candidate ? { candidate: this.state.candidate } : {};
    const hosts = this.state.outOfService.length ? { outOfService: this.state.outOfService } : {};
    await this.acts.notify({ correlationId, service, version, region, dryRun, ...candidate, ...hosts, ...c }).catch(() => undefined);
  }
}
