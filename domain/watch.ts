// A watched period (a canary stage, final validation, the observation window, a paused hold) as
// data plus pure functions: what one poll decides, when the period ends, what the heartbeat carries.
// One activity per period runs this loop, so history holds one activity per period, not one
// timer and one read per check, and a breach is acted on at the next poll.
import type { RegionContext } from './context.js';
import { countsBetween, downServers, hostCountsBetween, type ColourSample } from './counters.js';
import type { HostCounts } from './judge-hosts.js';
import type { HostOutlier } from './judge-evidence.js';
import { addCounts, NO_COUNTS } from './judge-counts.js';
import {
  afterPoll,
  judge,
  type ColourCounts,
  type ColourPair,
  type JudgeConfig,
  type JudgePoll,
  type JudgeState,
  type JudgeVerdict,
} from './judge.js';
import { unavailableBreach, type Breach, type Colour, type Metrics, type Thresholds } from './metrics.js';

/** Consecutive failed reads after which metrics count as unavailable: no data is never healthy. */
const MAX_FAILED_POLLS = 3;
/** Default seconds between polls; never below the metrics provider's scrape interval. */
export const DEFAULT_POLL_SECONDS = 5;

export interface WatchRequest {
  ctx: RegionContext;
  version: string;
  /** The colour under judgement (the candidate, or the promoted colour while observing)… */
  colour: Colour;
  /** …and the one it is compared with (the stable colour). */
  baseline: Colour;
  /** "canary 25%", "final validation", "observation window", "canary 25% (paused before 50%)". */
  phase: string;
  /** The stage this period belongs to, for reports: label and weight. */
  stage: { label: string; weightPct: number };
  thresholds: Thresholds;
  /** Planned period bounds (workflow time, ISO): a retried attempt resumes against the same end. */
  startedAt: string;
  endsAt: string;
  pollSeconds: number;
  /** How often the period reports its figures (Pushgateway): the rollout's scaled check interval. */
  reportSeconds: number;
  /** A paused hold: watched until the operator resumes (the workflow cancels it), or until endsAt. */
  hold: boolean;
  /** The judge's settings, and its state at the start of this period (startPeriod already applied). */
  judge: { config: JudgeConfig; state: JudgeState };
}

/**
 * A rate-window reading as the sequential judge takes it: without a request in the window there
 * is no error rate or p95 to read, and that is no traffic, not a failed read (the judge counts).
 */
export type WindowReading = Omit<Metrics, 'errorRatePct' | 'latencyP95Ms'> & Partial<Pick<Metrics, 'errorRatePct' | 'latencyP95Ms'>>;

/** A reading with its error rate and p95: what periods report and show. */
const hasTraffic = (r: WindowReading): r is Metrics => r.errorRatePct !== undefined && r.latencyP95Ms !== undefined;

/** One poll's input: the judged colour's rate-window reading and, for the sequential judge, counts. */
export interface Poll {
  /** Always whole for the static judge: its rule is that no data is a breach. */
  reading: WindowReading;
  /** Since the period began; judged colour as `green`, baseline as `blue`, whatever their names. */
  counts?: { green: ColourCounts; blue: ColourCounts };
  /** The judged colour's balancer servers that are down, and up (domain/counters.ts downServers). */
  down?: string[];
  up?: string[];
  /** The judged colour's hosts, each as its balancer counts it, since the period began. */
  hosts?: Record<string, HostCounts>;
}

/** What the activity heartbeats, and resumes from after a retry. */
export interface WatchProgress {
  polls: number;
  /** Consecutive failed reads so far. */
  failedPolls: number;
  lastError?: string;
  last?: Metrics;
  judgeState: JudgeState;
  verdict?: JudgeVerdict;
  /** The period runs past its planned end while the verdict is inconclusive or suspect. */
  extended?: boolean;
  /** The evidence was suspect at or past the planned end: the period runs to its longest. */
  suspect?: boolean;
  /** Both colours' raw counters at the last poll (judged as `green`), what the next poll counts from. */
  samples?: { green: ColourSample; blue: ColourSample };
  /** Both colours' exact counts since the period began, summed poll by poll from the samples. */
  counts?: ColourPair;
  /** The judged colour's hosts' counts since the period began, the same way. */
  hosts?: Record<string, HostCounts>;
  /** ms since epoch of the last report. */
  lastReportAt?: number;
}

export interface WatchResult {
  /**
   * 'inconclusive': still undecided at the longest extension, with onInconclusive 'pause'.
   * 'outlier': a host to take out; the period is not over (the workflow watches it again).
   */
  verdict: 'healthy' | 'breach' | 'inconclusive' | 'outlier';
  breach?: Breach;
  outlier?: HostOutlier;
  /** Why the period ended inconclusive, or went on by onInconclusive 'promote'. */
  note?: string;
  polls: number;
  last?: Metrics;
  judgeState: JudgeState;
  evidence?: JudgeVerdict['evidence'];
}

/**
 * A period's progress before its first poll. Every field is set, if only to undefined (JSON leaves
 * those out), and every poll writes them all: one shape, which V8 copies fast on every poll.
 */
export const startProgress = (req: Pick<WatchRequest, 'judge'>): WatchProgress =>
  ({
    polls: 0,
    failedPolls: 0,
    lastError: undefined,
    last: undefined,
    judgeState: req.judge.state,
    verdict: undefined,
    extended: undefined,
    suspect: undefined,
    samples: undefined,
    counts: undefined,
    hosts: undefined,
    lastReportAt: undefined,
  }) satisfies Record<keyof WatchProgress, unknown>;

/**
 * A poll's counts from raw samples: what each colour served since `before` (the last poll's, or the
 * period's start), added to the period's so far; the candidate's balancer servers down and up. The
 * progress keeps `now`, so a retried attempt counts on from its last heartbeat.
 */
export function countSamples(
  p: WatchProgress,
  before: { green: ColourSample; blue: ColourSample },
  now: { green: ColourSample; blue: ColourSample },
): { progress: WatchProgress; poll: Required<Pick<Poll, 'counts' | 'down' | 'up' | 'hosts'>> } {
  const counts = {
    green: addCounts(p.counts?.green ?? NO_COUNTS, countsBetween(before.green, now.green)),
    blue: addCounts(p.counts?.blue ?? NO_COUNTS, countsBetween(before.blue, now.blue)),
  };
  const hosts = { ...p.hosts };
  for (const [h, c] of Object.entries(hostCountsBetween(before.green, now.green))) {
    const was = hosts[h];
    hosts[h] = was ? { requests: was.requests + c.requests, errors: was.errors + c.errors } : c;
  }
  return {
    progress: { ...p, samples: now, counts, hosts },
    poll: { counts, down: downServers(now.green), up: downServers(now.green, false), hosts },
  };
}

/** Where a period stands after a poll: go on watching, or the result to return. */
export type PollStep = { progress: WatchProgress; done?: WatchResult };

const result = (p: WatchProgress, verdict: WatchResult['verdict'], extra: Partial<WatchResult> = {}): WatchResult => ({
  verdict,
  polls: p.polls,
  judgeState: p.judgeState,
  ...(p.last ? { last: p.last } : {}),
  ...(p.verdict ? { evidence: p.verdict.evidence } : {}),
  ...extra,
});

/** Date.parse of the period's bounds, kept: a watch parses the same two strings on every poll. */
const parsed = new Map<string, number>();
function msOf(iso: string): number {
  let ms = parsed.get(iso);
  if (ms === undefined) {
    if (parsed.size > 64) parsed.clear();
    parsed.set(iso, (ms = Date.parse(iso)));
  }
  return ms;
}

/**
 * One successful poll `elapsedMs` into the period: the judge's verdict, then what the period does
 * (roll back, keep watching, extend while inconclusive, end). A paused hold is never extended and
 * never pauses again: it ends at its chunk's end, and the workflow holds on with the next chunk.
 */
export function onPoll(
  p: WatchProgress,
  poll: Poll,
  req: Pick<WatchRequest, 'judge' | 'startedAt' | 'endsAt' | 'hold'>,
  now: number,
): PollStep {
  // No data stays no data (NaN) for the judge; the last reading shown is the last with traffic.
  const reading = { ...poll.reading, errorRatePct: poll.reading.errorRatePct ?? NaN, latencyP95Ms: poll.reading.latencyP95Ms ?? NaN };
  const start = msOf(req.startedAt);
  const planned = (msOf(req.endsAt) - start) / 1000;
  const elapsed = (now - start) / 1000;
  const ended = !req.hold && elapsed >= planned;
  // Built field by field: the watch judges every poll, and each spread of an optional field allocates an object.
  const judgePoll: JudgePoll = { reading, ended };
  if (poll.counts) {
    judgePoll.green = poll.counts.green;
    judgePoll.blue = poll.counts.blue;
  }
  if (poll.down) judgePoll.down = poll.down;
  if (poll.up) judgePoll.up = poll.up;
  if (poll.hosts) judgePoll.hosts = poll.hosts;
  const judged = judge(p.judgeState, judgePoll, req.judge.config);
  const last = hasTraffic(poll.reading) ? poll.reading : p.last;
  // Suspect once at or past the planned end, the period runs to its longest: evidence that comes in
  // bursts dips below halfway between them, and one dip should not move more traffic to the candidate.
  const suspect = p.suspect === true || (ended && judged.verdict.suspect === true);
  const step = afterPoll({ ...judged.verdict, suspect }, elapsed, req.hold ? Infinity : planned, req.judge.config);
  // Every field, in startProgress' order (see there).
  const progress = {
    polls: p.polls + 1,
    failedPolls: 0,
    lastError: undefined,
    last,
    judgeState: judged.state,
    verdict: judged.verdict,
    extended: step.step === 'watch' ? step.extended : p.extended,
    suspect: suspect || undefined,
    samples: p.samples,
    counts: p.counts,
    hosts: p.hosts,
    lastReportAt: p.lastReportAt,
  } satisfies Record<keyof WatchProgress, unknown>;
  if (req.hold && judged.verdict.status !== 'breach' && elapsed >= planned) return { progress, done: result(progress, 'healthy') };
  switch (step.step) {
    case 'rollback':
      return { progress, done: result(progress, 'breach', { breach: step.breach }) };
    case 'outlier':
      return { progress, done: result(progress, 'outlier', { outlier: step.outlier }) };
    case 'watch':
      return { progress };
    case 'proceed':
      return { progress, done: result(progress, 'healthy', step.note ? { note: step.note } : {}) };
    case 'pause':
      return { progress, done: result(progress, 'inconclusive', { note: step.reason }) };
  }
}

/** One failed poll: tolerated until MAX_FAILED_POLLS in a row, then a metrics_unavailable breach. */
export function onReadFailure(p: WatchProgress, message: string, phase: string): PollStep {
  const progress: WatchProgress = { ...p, polls: p.polls + 1, failedPolls: p.failedPolls + 1, lastError: message };
  if (progress.failedPolls < MAX_FAILED_POLLS) return { progress };
  return { progress, done: result(progress, 'breach', { breach: unavailableBreach(phase, message) }) };
}

/** The poll interval in force: the request's, bounded below by the provider's scrape interval. */
export const pollMs = (req: Pick<WatchRequest, 'pollSeconds'>, minPollSeconds = 0): number =>
  Math.max(req.pollSeconds, minPollSeconds) * 1000;

/**
 * How long to sleep before the next poll: a full interval, or what is left of the period, but at
 * least a moment past its end when the verdict still waits for data (an extended period).
 */
export function nextPollDelay(now: number, endsAt: number, intervalMs: number): number {
  return endsAt > now ? Math.min(intervalMs, endsAt - now) : intervalMs;
}

/** True when a report is due (the period's first reading, then every reportSeconds). */
export const reportDue = (p: WatchProgress, now: number, reportSeconds: number): boolean =>
  p.lastReportAt === undefined || now - p.lastReportAt >= reportSeconds * 1000;

/** The longest a period may run: its planned length times the judge's maximum extension. */
export const longestMs = (req: Pick<WatchRequest, 'startedAt' | 'endsAt' | 'judge' | 'hold'>): number =>
  (Date.parse(req.endsAt) - Date.parse(req.startedAt)) * (req.hold ? 1 : req.judge.config.maxExtension);
