// Signals, queries and updates: the operator's controls, shared by the workflows, the client and the CLI.
// The same signal names work on the parent (with a region, or none for all) and on a region's child.
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Colour, Metrics } from '../domain/metrics.js';
import type { RegionOutcome, RolloutOutcome } from '../domain/outcome.js';
import type { JudgeConfig, JudgeTest } from '../domain/judge.js';
import type { TrafficWeights } from '../domain/ports.js';
import type { DeployPolicy, HostOutcome } from '../domain/fleet.js';
import type { Stage } from '../domain/rollout-input.js';
import type { Strategy } from '../domain/strategy.js';

/**
 * `seq` is set by the parent when it forwards pause and resume to a region: signals sent one
 * after another may arrive in either order, so a region ignores one older than the last it applied.
 */
/** A region's child workflow input, built by the parent from the validated rollout input. */
export interface RegionRolloutInput {
  correlationId: string;
  service: string;
  version: string;
  artifact: { url: string; sha256: string };
  region: string;
  stages: Stage[];
  checkIntervalSeconds: number;
  /** Seconds between metric polls inside a watched period (absent in rollouts started before it existed). */
  pollSeconds?: number;
  /** The canary judge's settings (absent in rollouts started before it existed: the default). */
  judge?: JudgeConfig;
  timeScale: number;
  resourceLimits: { maxCpuPct: number; maxMemoryPct: number };
  /** How the candidate colour's hosts are deployed. */
  deployPolicy: DeployPolicy;
  /** `approvers`: the worker's lists (WorkerSetup), so a direct approval of the region is checked like one through the parent. */
  approvals?: { roles: string[]; timeoutMinutes: number; granted?: Record<string, string>; approvers?: Record<string, string[]> };
  /** Delayed strategy: keep checking the promoted region this long before the next one starts. */
  observeMinutes?: number;
  nextRegion?: string;
  startPaused?: { reason?: string };
  dryRun: boolean;
  /** Route this region's activities to a worker inside the region. */
  activityTaskQueue?: string;
}

/** The canary judge's latest verdict in a region, with its evidence as text. */
export interface VerdictSummary {
  phase: string;
  test: JudgeTest;
  text: string;
}

export interface PauseRequest {
  region?: string;
  reason?: string;
  seq?: number;
}
export interface ResumeRequest {
  region?: string;
  seq?: number;
}
export interface AbortRequest {
  region?: string;
  reason: string;
}
export interface ApproveRequest {
  region: string;
  role: string;
  approver: string;
}

export const pauseSignal = defineSignal<[PauseRequest]>('pause');
export const resumeSignal = defineSignal<[ResumeRequest]>('resume');
export const abortSignal = defineSignal<[AbortRequest]>('abort');
export const approveSignal = defineSignal<[ApproveRequest]>('approve');

/** Approval with an answer: an unknown region or role is rejected by the validator, before history records it. */
export const approveUpdate = defineUpdate<ApprovalState, [ApproveRequest]>('approveRegion');
/**
 * The rollout's admission by the worker (the request parsed with its config), answered to the
 * caller: `meridian start` sends it with the start (update-with-start), so a refused request is an
 * error at once. A rollout started without it admits itself all the same.
 */
export const admitUpdate = defineUpdate<{ regions: string[] }, []>('admit');

export interface ApprovalState {
  region: string;
  required: string[];
  approvedBy: Record<string, string>;
  pending: string[];
  /**
   * Role → ID of the approveRegion update that granted it here. The workflow cannot read the
   * caller's Temporal identity (the SDK does not expose it); history's WorkflowExecutionUpdateAccepted
   * event with this update ID does (acceptedRequest.meta.identity). Absent for approvals by signal,
   * whose WorkflowExecutionSignaled event carries the identity.
   */
  updateIds?: Record<string, string>;
}

export type RegionPhase =
  | 'pending'
  /** Parent's view of a child in flight: the child's own status query has the detail. */
  | 'running'
  | 'awaiting_approval'
  | 'deploying'
  | 'baseline'
  | 'canary'
  | 'validating'
  | 'promoting'
  | 'observing'
  | 'rolling_back'
  | RegionOutcome;

export interface RegionStatus {
  region: string;
  phase: RegionPhase;
  paused: boolean;
  pauseReason?: string;
  stage?: string;
  weights?: TrafficWeights;
  candidate?: Colour;
  stageReached: number;
  lastMetrics?: Metrics;
  verdict?: VerdictSummary;
  approvals?: ApprovalState;
  /** Candidate hosts whose deploy failed: out of the balancer for the rest of the region's rollout. */
  outOfService?: HostOutcome[];
  reason?: string;
  dryRun: boolean;
}

export interface RolloutStatus {
  correlationId: string;
  service: string;
  version: string;
  strategy: Strategy;
  paused: boolean;
  abortReason?: string;
  cancelled: boolean;
  regions: Record<string, { phase: RegionPhase; workflowId: string; reason?: string; stageReached?: number }>;
  outcome?: RolloutOutcome;
}

export const rolloutStatusQuery = defineQuery<RolloutStatus>('status');
export const regionStatusQuery = defineQuery<RegionStatus>('status');
