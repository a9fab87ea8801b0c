// A watched period (a canary stage, final validation, the observation window, a paused hold) as
// data plus pure functions: what one poll decides, when the period ends, what the heartbeat carries.
// One activity per period runs this loop, so history holds one activity per period, not one
// timer and one read per check, and a breach is acted on at the next poll.
import { evaluateGate, unavailableBreach, type Breach, type Colour, type Metrics, type Thresholds } from './metrics.js';
import type { RegionContext } from './context.js';

/** Consecutive failed reads after which metrics count as unavailable: no data is never healthy. */
export const MAX_FAILED_POLLS = 3;
/** Default seconds between polls; never below the metrics provider's scrape interval. */
export const DEFAULT_POLL_SECONDS = 5;

export interface WatchRequest {
  ctx: RegionContext;
  version: string;
  /** The colour under judgement (the candidate, or the promoted colour while observing). */
  colour: Colour;
  /** "canary 25%", "final validation", "observation window", "canary 25% (paused before 50%)". */
  phase: string;
  /** The stage this period belongs to, for reports: label and weight. */
  stage: { label: string; weightPct: number };
  thresholds: Thresholds;
  /** Absolute period bounds (workflow time, ISO): a retried attempt resumes against the same end. */
  startedAt: string;
  endsAt: string;
  pollSeconds: number;
  /** How often the period reports its figures (Pushgateway, heartbeat): the rollout's scaled check interval. */
  reportSeconds: number;
  /** A paused hold: watched until the operator resumes (the workflow cancels it), or until endsAt. */
  hold: boolean;
}

/** What the activity heartbeats, and resumes from after a retry. */
export interface WatchProgress {
  polls: number;
  /** Consecutive failed reads so far. */
  failedPolls: number;
  lastError?: string;
  last?: Metrics;
  /** ms since epoch of the last report. */
  lastReportAt?: number;
}

export interface WatchResult {
  verdict: 'healthy' | 'breach';
  breach?: Breach;
  polls: number;
  last?: Metrics;
}

export const startProgress = (): WatchProgress => ({ polls: 0, failedPolls: 0 });

/** One successful reading: the progress after it, and the breach if the gates fail. */
export function onReading(p: WatchProgress, metrics: Metrics, req: Pick<WatchRequest, 'thresholds' | 'phase'>): { progress: WatchProgress; breach?: Breach } {
  const progress: WatchProgress = { ...p, polls: p.polls + 1, failedPolls: 0, last: metrics, lastError: undefined };
  const breach = evaluateGate(metrics, req.thresholds, req.phase);
  return breach ? { progress, breach } : { progress };
}

/** One failed reading: tolerated until MAX_FAILED_POLLS in a row, then a metrics_unavailable breach. */
export function onReadFailure(p: WatchProgress, message: string, phase: string): { progress: WatchProgress; breach?: Breach } {
  const progress: WatchProgress = { ...p, polls: p.polls + 1, failedPolls: p.failedPolls + 1, lastError: message };
  return progress.failedPolls >= MAX_FAILED_POLLS ? { progress, breach: unavailableBreach(phase, message) } : { progress };
}

/** The poll interval in force: the request's, bounded below by the provider's scrape interval. */
export const pollMs = (req: Pick<WatchRequest, 'pollSeconds'>, minPollSeconds = 0): number => Math.max(req.pollSeconds, minPollSeconds) * 1000;

/** How long to sleep before the next poll: a full interval, or what is left of the period. */
export function nextPollDelay(now: number, endsAt: number, intervalMs: number): number {
  return Math.max(0, Math.min(intervalMs, endsAt - now));
}

/** True when a report is due (the period's first reading, then every reportSeconds). */
export const reportDue = (p: WatchProgress, now: number, reportSeconds: number): boolean => p.lastReportAt === undefined || now - p.lastReportAt >= reportSeconds * 1000;

/** The period's result once it ended without a breach. */
export function healthy(p: WatchProgress): WatchResult {
  return { verdict: 'healthy', polls: p.polls, ...(p.last ? { last: p.last } : {}) };
}
