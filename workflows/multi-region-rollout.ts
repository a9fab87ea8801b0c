// The parent rollout: refuses what cannot run (rollout-guards.ts), sequences one child workflow
// per region by strategy, forwards operator signals, and always reports (incident card, global
// summary, Grafana annotation) — after success, breach, abort, failure or cancellation alike.
import {
  CancellationScope,
  condition,
  isCancellation,
  setHandler,
  setCurrentDetails,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  type ChildWorkflowHandle,
} from '@temporalio/workflow';
import { STRATEGY_RULES } from '../domain/strategy.js';
import { regionTaskQueue, regionWorkflowId, SEARCH_ATTRIBUTE_KEYS } from '../domain/contract.js';
import { combineOutcomes, recordedOutcome, runKind, type RegionResult, type RolloutResult } from '../domain/outcome.js';
import type { Card } from '../domain/ports.js';
import type { RolloutInput, RolloutRequest } from '../domain/rollout-input.js';
import { rolloutActivities } from './activity-stubs.js';
import { abortSignal, admitUpdate, approveSignal, pauseSignal, resumeSignal, rolloutStatusQuery, type RolloutStatus } from './messages.js';
import { regionRollout, type RegionRolloutInput } from './region-rollout.js';
import { regionSummary, rolloutDetails, rolloutProgress } from './metadata.js';
import { reportOutcome } from './rollout-report.js';
import { admit, enforceParallelPolicy } from './rollout-guards.js';
import { RolloutApprovals } from './rollout-approvals.js';

type Child = ChildWorkflowHandle<typeof regionRollout>;

export async function multiRegionRollout(request: RolloutRequest): Promise<RolloutResult> {
  const acts = rolloutActivities();
  const { workflowId: correlationId } = workflowInfo();
  // Handlers first, before anything awaits: an approval or signal that came with the first workflow
  // task finds them (an update without a handler at the end of that activation is refused). One
  // that comes before the request is parsed is checked against the request as stated, then waits
  // for the parse (rollout-approvals.ts).
  const rollout = new Rollout(request, correlationId);
  rollout.listen();
  // One admission, awaited by the body and by the caller's admit update, whichever asks first.
  let admitting: ReturnType<typeof admit> | undefined;
  const admission = () => (admitting ??= admit(request, acts));
  setHandler(admitUpdate, async () => ({ regions: (await admission()).input.regions }));
  const { input, setup } = await admission();
  rollout.admit(input);
  rollout.publish();
  rollout.approvals.learn(setup);
  upsertSearchAttributes([
    { key: SEARCH_ATTRIBUTE_KEYS.service, value: input.service },
    { key: SEARCH_ATTRIBUTE_KEYS.version, value: input.version },
    { key: SEARCH_ATTRIBUTE_KEYS.strategy, value: input.strategy },
  ]);
  await enforceParallelPolicy(input, acts);
  const card = (c: Omit<Card, 'correlationId' | 'service' | 'version' | 'dryRun'>) =>
    acts.notify({ correlationId, service: input.service, version: input.version, dryRun: input.dryRun, ...c }).catch(() => undefined);

  await card({ kind: 'start', title: `Rolling out ${input.service} ${input.version} (${input.strategy}) to ${input.regions.join(' → ')}` });
  // Regions run in a non-cancellable scope: a cancel request becomes an abort of each region,
  // which rolls it back, and the parent still reports.
  const regions = CancellationScope.nonCancellable(() => rollout.run());
  try {
    await Promise.race([regions, CancellationScope.current().cancelRequested]);
  } catch (err) {
    if (!isCancellation(err)) throw err;
    await CancellationScope.nonCancellable(() => rollout.cancel());
  }

  return CancellationScope.nonCancellable(async () => {
    await regions;
    const result = rollout.result();
    // Dry runs and drills are no rollouts on record: they must not count towards the parallel policy.
    // (Only the value changed for drills: an upsert's content is not checked on replay.)
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.outcome, value: recordedOutcome(result.outcome, runKind(input)) }]);
    await reportOutcome(`${input.service} ${input.version}`, result, card, () => acts.annotate({ correlationId, service: input.service, version: input.version, outcome: result.outcome, text: `${input.service} ${input.version} ${input.strategy} rollout: ${result.outcome}` }));
    return result;
  });
}

class Rollout {
  private readonly results: Record<string, RegionResult> = {};
  private readonly running = new Map<string, Child>();
  /** The workflow ID each started region got. */
  private readonly childIds = new Map<string, string>();
  private readonly abortedRegions = new Map<string, string>();
  private paused?: { reason?: string };
  /** Regions paused before they started: they deploy, then hold before their first stage. */
  private readonly pausedRegions = new Map<string, { reason?: string }>();
  private abortReason?: string;
  private cancelled = false;
  /** Orders the pause and resume signals forwarded to regions. */
  private controlSeq = 0;
  readonly approvals: RolloutApprovals;
  /** The request parsed; unknown only until admit() in the first workflow task. */
  private admitted?: RolloutInput;

  constructor(
    request: RolloutRequest,
    private readonly correlationId: string,
  ) {
    this.approvals = new RolloutApprovals(request, {
      closed: (region) => (this.results[region] ? `region ${region} already finished (${this.results[region].outcome})` : undefined),
      forward: (req) => this.forward(req.region, (c) => c.signal(approveSignal, req)),
    });
  }

  admit(input: RolloutInput): void {
    this.admitted = input;
    this.approvals.admit(input);
  }

  private get input(): RolloutInput {
    if (!this.admitted) throw new Error('the rollout is starting: its request is being checked');
    return this.admitted;
  }

  listen(): void {
    // Signals may arrive with no input (`temporal workflow signal --name resume`): default them.
    setHandler(pauseSignal, ({ region, reason } = {}) => {
      if (!region) this.paused = { reason };
      else if (!this.running.has(region) && !this.results[region]) this.pausedRegions.set(region, { reason });
      const seq = ++this.controlSeq;
      this.forward(region, (c) => c.signal(pauseSignal, { reason, seq }));
      this.publish();
    });
    setHandler(resumeSignal, ({ region } = {}) => {
      if (!region) {
        this.paused = undefined;
        this.pausedRegions.clear();
      } else this.pausedRegions.delete(region);
      const seq = ++this.controlSeq;
      this.forward(region, (c) => c.signal(resumeSignal, { seq }));
      this.publish();
    });
    setHandler(abortSignal, ({ region, reason } = { reason: '' }) => {
      this.abort(region, reason || 'aborted by operator');
      this.publish();
    });
    this.approvals.listen();
    setHandler(rolloutStatusQuery, () => this.status());
  }

  async run(): Promise<void> {
    const { regions, strategy } = this.input;
    if (STRATEGY_RULES[strategy].concurrent) {
      await Promise.all(regions.map((r) => this.runRegion(r, 0)));
      return;
    }
    for (const [i, region] of regions.entries()) {
      const stop = this.stopReason(regions.slice(0, i));
      if (stop) {
        this.results[region] = { outcome: 'skipped', reason: stop, stageReached: 0 };
        continue;
      }
      await condition(() => !this.paused || this.cancelled || this.abortReason !== undefined);
      await this.runRegion(region, i);
    }
  }

  /** Why the sequence stops before the next region, if it does. */
  private stopReason(before: string[]): string | undefined {
    if (this.cancelled) return 'rollout cancelled';
    if (this.abortReason) return `rollout aborted: ${this.abortReason}`;
    const failed = before.find((r) => this.results[r]?.outcome !== 'succeeded');
    return failed ? `${failed} ${this.results[failed]!.outcome.replace('_', ' ')}` : undefined;
  }

  private async runRegion(region: string, index: number): Promise<void> {
    const early = this.abortedRegions.get(region) ?? (this.cancelled ? 'rollout cancelled' : this.abortReason);
    if (early) {
      this.results[region] = { outcome: this.abortedRegions.has(region) ? 'aborted' : 'skipped', reason: early, stageReached: 0 };
      return;
    }
    // Rollouts started before the "--" separator keep the IDs their children were started with.
    const workflowId = regionWorkflowId(this.input.service, region);
    this.childIds.set(region, workflowId);
    const child = await startChild(regionRollout, {
      workflowId,
      args: [this.regionInput(region, index)],
      staticSummary: regionSummary(this.input, region),
      staticDetails: rolloutDetails(this.input),
    });
    this.running.set(region, child);
    this.publish();
    this.sync(region, child);
    try {
      this.results[region] = await child.result();
    } catch (err) {
      // The child handles every failure it can see; this is a terminated or broken child.
      // Record it, so the chain stops and the summary still reports.
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      this.results[region] = { outcome: 'aborted', reason: `region workflow failed: ${cause}; check the region's traffic by hand`, stageReached: 0 };
    } finally {
      this.running.delete(region);
      this.publish();
    }
  }

  private regionInput(region: string, index: number): RegionRolloutInput {
    const i = this.input;
    const last = index === i.regions.length - 1;
    const gate = this.approvals.gate(region);
    return {
      correlationId: this.correlationId,
      service: i.service,
      version: i.version,
      artifact: i.artifact,
      region,
      stages: i.stages,
      checkIntervalSeconds: i.checkIntervalSeconds,
      pollSeconds: i.pollSeconds,
      judge: i.judge,
      timeScale: i.timeScale,
      resourceLimits: i.resourceLimits,
      dryRun: i.dryRun,
      ...(i.regionTaskQueues ? { activityTaskQueue: regionTaskQueue(workflowInfo().taskQueue, region) } : {}),
      ...(gate ? { approvals: gate } : {}),
      ...(STRATEGY_RULES[i.strategy].observes && !last ? { observeMinutes: i.delayBetweenRegionsMinutes, nextRegion: i.regions[index + 1] } : {}),
      ...(this.paused || this.pausedRegions.has(region) ? { startPaused: this.paused ?? this.pausedRegions.get(region)! } : {}),
    };
  }

  /** Signals that arrived while the child was starting would otherwise miss it. */
  private sync(region: string, child: Child): void {
    const send = (p: Promise<void>) => void p.catch(() => undefined);
    for (const req of this.approvals.grantedIn(region)) send(child.signal(approveSignal, req));
    const paused = this.paused ?? this.pausedRegions.get(region);
    if (paused) send(child.signal(pauseSignal, { ...paused, seq: ++this.controlSeq }));
    const abort = this.abortedRegions.get(region) ?? this.abortReason ?? (this.cancelled ? 'rollout cancelled' : undefined);
    if (abort) send(child.signal(abortSignal, { reason: abort }));
  }

  private forward(region: string | undefined, send: (c: Child) => Promise<void>): void {
    for (const [r, child] of this.running) {
      // A child that already finished cannot take a signal; that is fine.
      if (!region || r === region) void send(child).catch(() => undefined);
    }
  }

  private abort(region: string | undefined, reason: string): void {
    if (region) {
      if (!this.running.has(region) && !this.results[region]) this.abortedRegions.set(region, reason);
    } else {
      this.abortReason ??= reason;
    }
    this.forward(region, (c) => c.signal(abortSignal, { reason }));
  }

  /** The parent was cancelled: abort every region in flight; later regions are skipped. */
  async cancel(): Promise<void> {
    this.cancelled = true;
    await Promise.all([...this.running.values()].map((c) => c.signal(abortSignal, { reason: 'rollout cancelled' }).catch(() => undefined)));
  }

  result(): RolloutResult {
    const regions = Object.fromEntries(this.input.regions.map((r) => [r, this.results[r] ?? { outcome: 'skipped' as const, reason: 'not started', stageReached: 0 }]));
    return { outcome: combineOutcomes(Object.values(regions), this.cancelled), regions };
  }

  /** The rollout's current details, as the Web UI shows them. */
  publish(): void {
    if (this.admitted) setCurrentDetails(rolloutProgress(this.status()));
  }

  private status(): RolloutStatus {
    const i = this.input;
    return {
      correlationId: this.correlationId,
      service: i.service,
      version: i.version,
      strategy: i.strategy,
      paused: Boolean(this.paused),
      ...(this.abortReason ? { abortReason: this.abortReason } : {}),
      cancelled: this.cancelled,
      regions: Object.fromEntries(
        i.regions.map((r) => {
          const done = this.results[r];
          const phase = done?.outcome ?? (this.running.has(r) ? 'running' : 'pending');
          return [r, { phase, workflowId: this.childIds.get(r) ?? regionWorkflowId(i.service, r), ...(done?.reason ? { reason: done.reason } : {}), ...(done ? { stageReached: done.stageReached } : {}) }];
        }),
      ),
    };
  }
}
