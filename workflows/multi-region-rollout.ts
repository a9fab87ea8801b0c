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
} from '@temporalio/workflow';
import { STRATEGY_RULES } from '../domain/strategy.js';
import { regionTaskQueue, regionWorkflowId, SEARCH_ATTRIBUTE_KEYS } from '../domain/contract.js';
import { combineOutcomes, recordedOutcome, runKind, type RegionResult, type RolloutResult } from '../domain/outcome.js';
import { RegionControl } from './region-control.js';
import type { Card } from '../domain/ports.js';
import type { RolloutInput, RolloutRequest } from '../domain/rollout-input.js';
import { rolloutActivities } from './activity-stubs.js';
import { abortSignal, admitUpdate, approveSignal, pauseSignal, resumeSignal, rolloutStatusQuery, type RolloutStatus } from './messages.js';
import { regionRollout, type RegionRolloutInput } from './region-rollout.js';
import { regionSummary, rolloutDetails, rolloutProgress } from './metadata.js';
import { reportOutcome } from './rollout-report.js';
import { admit, enforceParallelPolicy } from './rollout-guards.js';
import { RolloutApprovals } from './rollout-approvals.js';

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
    // Its signals are sent from a scope the cancel does not reach.
    await CancellationScope.nonCancellable(async () => rollout.cancel());
  }

  return CancellationScope.nonCancellable(async () => {
    await regions;
    const result = rollout.result();
    // Dry runs and drills are no rollouts on record: they must not count towards the parallel policy.
    // (Only the value changed for drills: an upsert's content is not checked on replay.)
    upsertSearchAttributes([{ key: SEARCH_ATTRIBUTE_KEYS.outcome, value: recordedOutcome(result.outcome, runKind(input)) }]);
    await reportOutcome(`${input.service} ${input.version}`, result, card, () =>
      acts.annotate({
        correlationId,
        service: input.service,
        version: input.version,
        outcome: result.outcome,
        text: `${input.service} ${input.version} ${input.strategy} rollout: ${result.outcome}`,
      }),
    );
    return result;
  });
}

class Rollout {
  /** One record per region, made at admission (regions are known then). */
  private readonly regions = new Map<string, RegionControl>();
  private abortReason?: string;
  private cancelled = false;
  readonly approvals: RolloutApprovals;
  /** The request parsed; unknown only until admit() in the first workflow task. */
  private admitted?: RolloutInput;

  constructor(
    request: RolloutRequest,
    private readonly correlationId: string,
  ) {
    this.approvals = new RolloutApprovals(request, {
      closed: (region) => {
        const done = this.regions.get(region)?.result;
        return done ? `region ${region} already finished (${done.outcome})` : undefined;
      },
      forward: (req) => this.regions.get(req.region)?.send((c) => c.signal(approveSignal, req)),
    });
  }

  admit(input: RolloutInput): void {
    this.admitted = input;
    for (const r of input.regions) this.regions.set(r, new RegionControl());
    this.approvals.admit(input);
  }

  private get input(): RolloutInput {
    if (!this.admitted) throw new Error('the rollout is starting: its request is being checked');
    return this.admitted;
  }

  /** The records a control applies to: one region's, or every region's. Before admission: none yet. */
  private targets(region: string | undefined): RegionControl[] {
    if (region === undefined) return [...this.regions.values()];
    const one = this.regions.get(region);
    return one ? [one] : [];
  }

  listen(): void {
    // Signals may arrive with no input (`temporal workflow signal --name resume`): default them.
    // One that comes before admission waits for it, so it finds the regions' records.
    const admitted = async (apply: () => void) => {
      await condition(() => this.admitted !== undefined);
      apply();
      this.publish();
    };
    setHandler(pauseSignal, ({ region, reason } = {}) => admitted(() => this.targets(region).forEach((c) => c.pause(reason, !region))));
    setHandler(resumeSignal, ({ region } = {}) => admitted(() => this.targets(region).forEach((c) => c.resume())));
    setHandler(abortSignal, ({ region, reason } = { reason: '' }) => admitted(() => this.abort(region, reason || 'aborted by operator')));
    this.approvals.listen();
    setHandler(rolloutStatusQuery, () => this.status());
  }

  async run(): Promise<void> {
    const { regions, strategy } = this.input;
    if (STRATEGY_RULES[strategy].concurrent) {
      await Promise.all(regions.map((r, i) => this.runRegion(r, i, this.regions.get(r)!.stop?.unstarted)));
      return;
    }
    for (const [i, region] of regions.entries()) {
      const control = this.regions.get(region)!;
      await condition(() => !control.paused?.rolloutWide || control.stop !== undefined);
      // A rollout-wide stop names itself; else a region before that did not succeed; else this region's own abort.
      const failed = regions.slice(0, i).find((r) => this.regions.get(r)!.result?.outcome !== 'succeeded');
      const failedResult = failed && this.regions.get(failed)!.result!;
      const early =
        (control.stop?.unstarted.outcome === 'skipped' ? control.stop.unstarted : undefined) ??
        (failedResult
          ? { outcome: 'skipped' as const, reason: `${failed} ${failedResult.outcome.replace('_', ' ')}`, stageReached: 0 }
          : undefined) ??
        control.stop?.unstarted;
      await this.runRegion(region, i, early);
    }
  }

  private async runRegion(region: string, index: number, early: RegionResult | undefined): Promise<void> {
    const control = this.regions.get(region)!;
    if (early) {
      control.result = early;
      return;
    }
    const workflowId = regionWorkflowId(this.input.service, region);
    const child = await startChild(regionRollout, {
      workflowId,
      args: [this.regionInput(region, index, control)],
      staticSummary: regionSummary(this.input, region),
      staticDetails: rolloutDetails(this.input),
    });
    control.started(child, workflowId);
    for (const req of this.approvals.grantedIn(region)) control.send((c) => c.signal(approveSignal, req));
    this.publish();
    try {
      control.result = await child.result();
    } catch (err) {
      // The child handles every failure it can see; this is a terminated or broken child.
      // Record it, so the chain stops and the summary still reports.
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      control.result = {
        outcome: 'aborted',
        reason: `region workflow failed: ${cause}; check the region's traffic by hand`,
        stageReached: 0,
      };
    } finally {
      this.publish();
    }
  }

  private regionInput(region: string, index: number, control: RegionControl): RegionRolloutInput {
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
      deployPolicy: i.deployPolicy,
      dryRun: i.dryRun,
      ...(i.regionTaskQueues ? { activityTaskQueue: regionTaskQueue(workflowInfo().taskQueue, region) } : {}),
      ...(gate ? { approvals: gate } : {}),
      ...(STRATEGY_RULES[i.strategy].observes && !last
        ? { observeMinutes: i.delayBetweenRegionsMinutes, nextRegion: i.regions[index + 1] }
        : {}),
      ...(control.paused ? { startPaused: { reason: control.paused.reason } } : {}),
    };
  }

  private abort(region: string | undefined, reason: string): void {
    if (region) {
      this.regions.get(region)?.abort(reason, { outcome: 'aborted', reason, stageReached: 0 });
      return;
    }
    this.abortReason ??= reason;
    for (const c of this.regions.values())
      c.abort(reason, { outcome: 'skipped', reason: `rollout aborted: ${this.abortReason}`, stageReached: 0 });
  }

  /** The parent was cancelled: abort every region in flight; later regions are skipped. */
  cancel(): void {
    this.cancelled = true;
    for (const c of this.regions.values())
      c.abort('rollout cancelled', { outcome: 'skipped', reason: 'rollout cancelled', stageReached: 0 });
  }

  result(): RolloutResult {
    const regions = Object.fromEntries(
      this.input.regions.map((r) => [
        r,
        this.regions.get(r)!.result ?? { outcome: 'skipped' as const, reason: 'not started', stageReached: 0 },
      ]),
    );
    return { outcome: combineOutcomes(Object.values(regions), this.cancelled), regions };
  }

  /** The rollout's current details, as the Web UI shows them. */
  publish(): void {
    if (this.admitted) setCurrentDetails(rolloutProgress(this.status()));
  }

  private status(): RolloutStatus {
    const i = this.input;
    const open = [...this.regions.values()].filter((c) => !c.result);
    return {
      correlationId: this.correlationId,
      service: i.service,
      version: i.version,
      strategy: i.strategy,
      paused: open.length > 0 && open.every((c) => c.paused?.rolloutWide),
      ...(this.abortReason ? { abortReason: this.abortReason } : {}),
      cancelled: this.cancelled,
      regions: Object.fromEntries(
        i.regions.map((r) => {
          const c = this.regions.get(r)!;
          const done = c.result;
          const phase = done?.outcome ?? (c.running ? 'running' : 'pending');
          return [
            r,
            {
              phase,
              workflowId: c.workflowId ?? regionWorkflowId(i.service, r),
              ...(done?.reason ? { reason: done.reason } : {}),
              ...(done ? { stageReached: done.stageReached } : {}),
            },
          ];
        }),
      ),
    };
  }
}
