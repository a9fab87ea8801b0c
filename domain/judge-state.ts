// The canary judge's data: what a period and a poll carry, the state kept between polls (plain
// JSON, in the workflow and the watch's heartbeat), and how α is shared between the rules.
import type { ColourCounts, ColourPair } from './judge-counts.js';
import type { HostCounts, HostsState } from './judge-hosts.js';
import type { Colour, Metrics, Thresholds } from './metrics.js';

/** p95 ≤ limit means at most 5 % of requests above the limit. */
export const SLOW_SHARE_AT_LIMIT = 0.05;
/**
 * Shares of α: per rule (limits: per metric; each regression against the stable colour's live rate
 * where it takes traffic and its baseline where it does not), each baseline bound beside its test,
 * the planned looks; they add up to 1.
 */
export const ALPHA_SHARES = {
  errorRegression: 0.6,
  latencyRegression: 0.1,
  limit: 0.05,
  baselineBound: 0.025,
  baselineLook: 0.15,
} as const;

export interface JudgePeriod {
  /** "canary 10%", "final validation", "observation window". */
  phase: string;
  thresholds: Thresholds;
  /** The candidate's planned weight: at 100 the stable colour is no live baseline, whatever trickles to it. */
  weightPct?: number;
}

export interface JudgePoll {
  /** Cumulative since the period began: the candidate's counts (whatever its colour)… */
  green?: ColourCounts;
  /** …and the stable colour's. */
  blue?: ColourCounts;
  /** Today's rate-window reading of the candidate: the static judge's input; the sequential judge gates CPU and memory on it. */
  reading?: Metrics;
  /** The candidate's balancer servers that the balancer's health check has down, and up (domain/counters.ts). */
  down?: string[];
  up?: string[];
  /** The period has reached its planned end: without live stable traffic, the judge takes its planned look. */
  ended?: boolean;
  /** Cumulative since the period began: each of the candidate's hosts, as its balancer counts it (domain/judge-hosts.ts). */
  hosts?: Record<string, HostCounts>;
}

type Bets = readonly number[];

export interface JudgeState {
  /** Periods planned for the region: stages + final validation (+ observation window). */
  periods: number;
  /** Periods started so far; the current one is number `started`. */
  started: number;
  /** The candidate's and the stable colour's real colours, for every text the judge writes. */
  colours: { candidate: Colour; stable: Colour };
  /** Where the stable colour's baseline ends (ISO): the region's start, before any traffic moved. */
  baselineEndsAt?: string;
  /**
   * Candidate servers the balancer has had up in this region. Only those count when down: a
   * server just restarted by the deploy is down until its health check passes a few times.
   */
  serversUp: string[];
  period?: JudgePeriod & {
    counts: ColourPair;
    bets: { errorLimit: Bets; latencyLimit: Bets; errorWorse: Bets; latencyWorse: Bets };
    /** This period's planned look against the baseline, once taken: its z and the z it needed. */
    look?: { z: number; bound: number };
  };
  /** Counts since the region's first period. */
  total: ColourPair;
  /** The candidate's hosts, each against its siblings. */
  hosts: HostsState;
  /** Bets carried across the region's periods (the regressions: against the live stable colour, else its baseline). */
  bets: { errorRegression: Bets; latencyRegression: Bets; errorFloor: Bets; latencyFloor: Bets };
  /** The stable colour before the region's first stage, in bins (slow at the last stage's limit). */
  lookback?: ColourCounts[];
  /** The stable colour's counts in each finished period where it took live traffic. */
  stableBins: ColourCounts[];
  /** Rates the candidate is held to once the stable colour takes no live traffic; fixed at that period's start. */
  baseline?: { errorRate: number; slowShare: number };
  /** The candidate's counts in periods without live stable traffic, and the planned looks taken at their ends. */
  alone: ColourCounts;
  /** Σ errors² / requests over the polls of those periods, and their number: the candidate's own spread. */
  aloneSpread: { squares: number; polls: number };
  looks: number;
}
