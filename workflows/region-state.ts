// A region workflow's live state: what the status query shows and what signals change.
import type { Breach, Colour, Metrics } from '../domain/metrics.js';
import type { RegionOutcome, RegionResult } from '../domain/outcome.js';
import type { ApprovalState, RegionPhase, RegionRolloutInput, RegionStatus, VerdictSummary } from './messages.js';

export class RegionState {
  phase: RegionPhase = 'pending';
  paused: boolean;
  pauseReason?: string;
  abortReason?: string;
  stage?: string;
  stageReached = 0;
  weights?: { blue: number; green: number };
  candidate?: Colour;
  liveColour?: Colour;
  lastMetrics?: Metrics;
  verdict?: VerdictSummary;
  reason?: string;
  private readonly approvedBy: Record<string, string>;
  private controlSeq = 0;

  constructor(private readonly input: RegionRolloutInput) {
    this.paused = Boolean(input.startPaused);
    this.pauseReason = input.startPaused?.reason;
    this.approvedBy = { ...(input.approvals?.granted ?? {}) };
  }

  pause(reason?: string, seq?: number): void {
    if (this.stale(seq)) return;
    this.paused = true;
    this.pauseReason = reason;
  }

  resume(seq?: number): void {
    if (this.stale(seq)) return;
    this.paused = false;
    this.pauseReason = undefined;
  }

  /** A forwarded pause or resume older than one already applied (signals can overtake each other). */
  private stale(seq: number | undefined): boolean {
    if (seq === undefined) return false;
    if (seq <= this.controlSeq) return true;
    this.controlSeq = seq;
    return false;
  }

  validateApproval(role: string): void {
    const roles = this.input.approvals?.roles;
    if (!roles) throw new Error(`region ${this.input.region} has no approval gate`);
    if (!roles.includes(role)) throw new Error(`role "${role}" is not required in ${this.input.region} (required: ${roles.join(', ')})`);
  }

  approve(role: string, approver: string): ApprovalState {
    if (this.input.approvals?.roles.includes(role)) this.approvedBy[role] ??= approver;
    return this.approvals();
  }

  pendingRoles(): string[] {
    return (this.input.approvals?.roles ?? []).filter((r) => !this.approvedBy[r]);
  }

  approved(): boolean {
    return this.pendingRoles().length === 0;
  }

  approvals(): ApprovalState {
    return { region: this.input.region, required: this.input.approvals?.roles ?? [], approvedBy: { ...this.approvedBy }, pending: this.pendingRoles() };
  }

  finish(outcome: RegionOutcome, reason?: string, breach?: Breach): RegionResult {
    this.phase = outcome;
    this.reason = reason;
    return {
      outcome,
      ...(reason ? { reason } : {}),
      stageReached: this.stageReached,
      ...(this.lastMetrics ? { lastMetrics: this.lastMetrics } : {}),
      ...(breach ? { breach } : {}),
      ...(this.liveColour ? { liveColour: this.liveColour } : {}),
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
      ...(this.reason ? { reason: this.reason } : {}),
      dryRun: this.input.dryRun,
    };
  }
}
