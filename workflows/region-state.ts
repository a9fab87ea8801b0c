// A region workflow's live state: what the status query shows and what signals change. Every
// change that an operator cares about is also published as the workflow's current details, which
// the Web UI and `temporal workflow describe` show.
import { otherColour, type Breach, type Colour, type Metrics } from '../domain/metrics.js';
import type { RegionOutcome, RegionResult } from '../domain/outcome.js';
import type { TrafficWeights } from '../domain/ports.js';
import type { HostOutcome } from '../domain/fleet.js';
import { approvalProblem, type ApprovalRequest } from '../domain/approvals.js';
import { splitText } from '../domain/colours.js';
import { hostsText } from '../domain/fleet.js';
import type { ApprovalState, ApproveRequest, RegionPhase, RegionRolloutInput, RegionStatus, VerdictSummary } from './messages.js';
import { RegionAborted } from './region-errors.js';

/**
 * The region's one state: phase, colours, weights, the judge's verdict, approvals, pause and
 * abort. Phases are what operators see; control flow never reads them.
 */
export class RegionState {
  paused: boolean;
  pauseReason?: string;
  abortReason?: string;
  stage?: string;
  stageReached = 0;
  /** The colour being released, known once the weights were read (the other one is stable). */
  candidate?: Colour;
  liveColour?: Colour;
  lastMetrics?: Metrics;
  /** Candidate hosts that failed their deploy: they take no traffic. */
  outOfService: HostOutcome[] = [];
  reason?: string;
  private _phase: RegionPhase = 'pending';
  private _weights?: TrafficWeights;
  private _verdict?: VerdictSummary;
  private readonly approvedBy: Record<string, string>;
  /** Role → the approveRegion update that granted it here (its history event carries the caller's identity). */
  private readonly updateIds: Record<string, string> = {};
  private controlSeq = 0;

  /** `publish` receives the current details (markdown) after each change: setCurrentDetails in the workflow. */
  constructor(
    private readonly input: RegionRolloutInput,
    private readonly publish: (details: string) => void = () => undefined,
  ) {
    this.paused = Boolean(input.startPaused);
    this.pauseReason = input.startPaused?.reason;
    this.approvedBy = { ...(input.approvals?.granted ?? {}) };
    this.publish(this.details());
  }

  get phase(): RegionPhase {
    return this._phase;
  }
  set phase(p: RegionPhase) {
    this._phase = p;
    this.publish(this.details());
  }
  get weights(): TrafficWeights | undefined {
    return this._weights;
  }
  set weights(w: TrafficWeights | undefined) {
    this._weights = w;
    this.publish(this.details());
  }
  get verdict(): VerdictSummary | undefined {
    return this._verdict;
  }
  set verdict(v: VerdictSummary | undefined) {
    this._verdict = v;
    this.publish(this.details());
  }

  /** The stable colour: the one the candidate is judged against and rolled back to. */
  get stable(): Colour {
    return otherColour(this.candidate ?? 'green');
  }

  get aborted(): boolean {
    return this.abortReason !== undefined;
  }

  throwIfAborted(): void {
    if (this.aborted) throw new RegionAborted(this.abortReason);
  }

  pause(reason?: string, seq?: number): void {
    if (this.stale(seq)) return;
    this.paused = true;
    this.pauseReason = reason;
    this.publish(this.details());
  }

  resume(seq?: number): void {
    if (this.stale(seq)) return;
    this.paused = false;
    this.pauseReason = undefined;
    this.publish(this.details());
  }

  /** What the Web UI shows as the region's current details: phase, stage, weights, the judge, what it waits for. */
  details(): string {
    const { region, version } = this.input;
    const head = [
      `**${region}** ${version}: ${this.phase.replace('_', ' ')}`,
      this.stage ? `stage ${this.stage}` : '',
      this._weights ? splitText(this._weights, this.candidate) : '',
    ]
      .filter(Boolean)
      .join(' · ');
    const pending = this.phase === 'awaiting_approval' ? this.pendingRoles() : [];
    return [
      head,
      this._verdict ? `judge at ${this._verdict.phase}: ${this._verdict.text}` : '',
      this.outOfService.length ? `out of service: ${hostsText(this.outOfService)}` : '',
      this.paused ? `paused${this.pauseReason ? `: ${this.pauseReason}` : ''} (resume or abort)` : '',
      pending.length ? `awaiting approval: ${pending.join(', ')}` : '',
      this.reason ? `result: ${this.reason}` : '',
    ]
      .filter(Boolean)
      .join('\n\n');
  }

  /** A forwarded pause or resume older than one already applied (signals can overtake each other). */
  private stale(seq: number | undefined): boolean {
    if (seq === undefined) return false;
    if (seq <= this.controlSeq) return true;
    this.controlSeq = seq;
    return false;
  }

  /** Why the approval is refused: the same rules as the parent's, with the worker's lists from the input. */
  approvalProblem(req: ApprovalRequest): string | undefined {
    return approvalProblem(this.input.approvals, [this.input.region], req, this.approvedBy);
  }

  validateApproval(req: ApproveRequest): void {
    const problem = this.approvalProblem(req);
    if (problem) throw new Error(problem);
  }

  approve(role: string, approver: string, updateId?: string): ApprovalState {
    if (this.input.approvals?.roles.includes(role) && !this.approvedBy[role]) {
      this.approvedBy[role] = approver;
      if (updateId) this.updateIds[role] = updateId;
    }
    this.publish(this.details());
    return this.approvals();
  }

  pendingRoles(): string[] {
    return (this.input.approvals?.roles ?? []).filter((r) => !this.approvedBy[r]);
  }

  approved(): boolean {
    return this.pendingRoles().length === 0;
  }

  approvals(): ApprovalState {
    const updateIds = Object.keys(this.updateIds).length ? { updateIds: { ...this.updateIds } } : {};
    return {
      region: this.input.region,
      required: this.input.approvals?.roles ?? [],
      approvedBy: { ...this.approvedBy },
      pending: this.pendingRoles(),
      ...updateIds,
    };
  }

  finish(outcome: RegionOutcome, reason?: string, breach?: Breach): RegionResult {
    this.reason = reason;
    this.phase = outcome;
    return {
      outcome,
      ...(reason ? { reason } : {}),
      stageReached: this.stageReached,
      ...(this.lastMetrics ? { lastMetrics: this.lastMetrics } : {}),
      ...(breach ? { breach } : {}),
      ...(this.liveColour ? { liveColour: this.liveColour } : {}),
      ...(this.candidate ? { candidate: this.candidate } : {}),
      ...(this.outOfService.length ? { outOfService: this.outOfService } : {}),
      ...(this.input.dryRun ? { dryRun: true } : {}),
    };
  }

  status(): RegionStatus {
    return {
      region: this.input.region,
      phase: this.phase,
      paused: this.paused,
      ...(this.pauseReason ? { pauseReason: this.pauseReason } : {}),
      ...(this.stage ? { stage: this.stage } : {}),
      ...(this.weights ? { weights: this.weights } : {}),
      ...(this.candidate ? { candidate: this.candidate } : {}),
      stageReached: this.stageReached,
      ...(this.lastMetrics ? { lastMetrics: this.lastMetrics } : {}),
      ...(this.verdict ? { verdict: this.verdict } : {}),
      ...(this.input.approvals ? { approvals: this.approvals() } : {}),
      ...(this.outOfService.length ? { outOfService: this.outOfService } : {}),
      ...(this.reason ? { reason: this.reason } : {}),
      dryRun: this.input.dryRun,
    };
  }
}
