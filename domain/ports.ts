// The activities the workflows call, one interface per external concern.
// Workflows import these types only; implementations live in activities/ and are chosen by the
// worker's configuration, so adding a vendor never touches a workflow.
// Nothing here carries a secret: hosts, IPs, tokens and webhooks stay in the worker's environment,
// and activities look them up by region.
import type { Breach, Colour, Metrics } from './metrics.js';
import type { DeployPolicy, FleetDeployReport, FleetSizes, HostOutcome } from './fleet.js';
import type { RegionContext } from './context.js';
import type { RegionResult, RolloutOutcome } from './outcome.js';
import type { RolloutInput, RolloutRequest } from './rollout-input.js';
import type { WatchRequest, WatchResult } from './watch.js';

export type { RegionContext } from './context.js';

/** What an activity did, or in a dry run would have done. */
export interface ChangeReport {
  changed: boolean;
  summary: string;
}

export interface DeployRequest {
  ctx: RegionContext;
  colour: Colour;
  version: string;
  artifact: { url: string; sha256: string };
  /** Batches, minimum healthy and SSH sessions: how the colour's hosts are deployed. */
  policy: DeployPolicy;
}

export interface DeployActivities {
  /**
   * Installs the artifact on each of the colour's hosts in batches and restarts each until healthy;
   * a host already on the version is a no-op. Reports every host's outcome: deciding whether enough
   * came up healthy is the workflow's (domain/fleet.ts belowMinimum).
   */
  deploy(req: DeployRequest): Promise<FleetDeployReport>;
}

/** Both colours' shares of a region's traffic, in % (blue + green = 100): what is set, read, shown and reported. */
export interface TrafficWeights {
  blue: number;
  green: number;
}

export interface TrafficActivities {
  /** Current weights as percentages of traffic (blue + green = 100). */
  readTrafficWeights(ctx: RegionContext): Promise<TrafficWeights>;
  /**
   * Sets both colours' shares of the region's traffic, each spread over its colour's servers; the
   * hosts named out of service (failed deploys) get none.
   */
  setTrafficWeights(ctx: RegionContext, weights: TrafficWeights, outOfService?: string[]): Promise<ChangeReport>;
}

export interface DnsActivities {
  /** Points the region's API record at the colour. `changed: false` when it already did, or no DNS is configured. */
  pointDnsAt(ctx: RegionContext, colour: Colour): Promise<ChangeReport & { previous?: Colour }>;
}

export interface MetricsActivities {
  /** Reads the colour's health in the region. Throws when Prometheus has no data: no data is never 0 %. */
  readMetrics(ctx: RegionContext, colour: Colour): Promise<Metrics>;
  /**
   * Checks, read-only, that the region's metrics can be judged at these stage latency limits;
   * a configuration they cannot be judged with fails non-retryably, naming the field.
   */
  checkMetrics(ctx: RegionContext, latencyLimitsMs: number[]): Promise<void>;
  /** Pushes a stage's figures to the Pushgateway (grouped by service, region, version). Best effort. */
  pushStageMetrics(ctx: RegionContext, report: StageReport): Promise<void>;
}

export interface WatchActivities {
  /**
   * Watches a period (stage, validation, observation, paused hold): polls the colour's metrics,
   * returns at once on a breach, else when the period ends. Heartbeats its progress and resumes
   * from it after a retry; cancelled through heartbeats (abort, resume of a hold).
   */
  watchPeriod(req: WatchRequest): Promise<WatchResult>;
}

export interface StageReport {
  version: string;
  stage: string;
  weightPct: number;
  outcome: 'in_progress' | 'passed' | 'breached' | 'promoted' | 'rolled_back';
  metrics?: Metrics;
  /** The canary judge's deciding test at this poll: its statistic against its bound. */
  evidence?: { test: string; statistic: number; bound: number };
}

export type CardKind =
  'start' | 'observation' | 'success' | 'rollback' | 'incident' | 'summary' | 'approval' | 'approval_timeout' | 'paused' | 'host_out';

/** A Quick Card's content: domain data only. Vendors render it; links come from the worker's config. */
export interface Card {
  kind: CardKind;
  correlationId: string;
  service: string;
  version: string;
  title: string;
  region?: string;
  stage?: string;
  /** Who or what is affected: "eu-west: 25% of traffic on v1.12.3 for 2 min". */
  impact?: string;
  cause?: string;
  breach?: Breach;
  /** The candidate's reading. */
  metrics?: Metrics;
  /** The colour the release went to (the other one is stable), once the region knows it. */
  candidate?: Colour;
  /** Candidate hosts whose deploy failed, taken out of the balancer, and why. */
  outOfService?: HostOutcome[];
  thresholds?: { maxErrorRatePct: number; maxLatencyMs: number };
  /** The rollout's outcome and each region's, on summary and incident cards. */
  outcome?: RolloutOutcome;
  regions?: Record<string, Pick<RegionResult, 'outcome' | 'reason' | 'stageReached' | 'candidate'>>;
  dryRun?: boolean;
}

export interface Annotation {
  correlationId: string;
  service: string;
  version: string;
  region?: string;
  outcome: string;
  text: string;
}

export interface NotifyActivities {
  /** Posts the card to every configured channel (Slack, Teams); `summary` cards also go to the global channel. */
  notify(card: Card): Promise<{ delivered: string[] }>;
  /** Adds a Grafana annotation tagged service/region/version/outcome. */
  annotate(annotation: Annotation): Promise<void>;
}

/** What this worker is configured for, learned by a rollout before anything else. */
export interface WorkerSetup {
  /** The regions in the worker's configuration: the only ones a rollout may name. */
  regions: string[];
  /** Who may approve each role (role → names); absent: no lists configured, any name is taken. */
  approvers?: Record<string, string[]>;
  /** Hosts per colour in each configured region: a deploy policy none can meet is refused at admission. */
  fleets?: FleetSizes;
}

/** What a rollout learns first: the worker's setup and, if the worker parsed it, its own request. */
interface Admission extends WorkerSetup {
  /** The request with its defaults filled in. */
  input?: RolloutInput;
  /** Why the request is refused, one problem per bad field. */
  problems?: string[];
}

export interface SetupActivities {
  /**
   * The worker's setup, from its configuration (never a secret). Given the rollout's request, the
   * worker (startWorker) parses it too: the workflow then never loads the schema (rollout-guards.ts).
   */
  workerSetup(request?: RolloutRequest): Promise<Admission>;
}

export interface PolicyActivities {
  /** Successful `delayed` rollouts of the service on record, counted through Temporal visibility. */
  countSuccessfulDelayedRollouts(service: string): Promise<number>;
}

/** Everything the worker registers. */
export type MeridianActivities = DeployActivities &
  TrafficActivities &
  DnsActivities &
  MetricsActivities &
  WatchActivities &
  NotifyActivities &
  PolicyActivities &
  SetupActivities;

/** Error types activities throw that no retry can fix (configuration, authentication, integrity). */
export const NON_RETRYABLE_ERRORS = [
  'ConfigurationError',
  'AuthenticationError',
  'HostKeyMismatch',
  'ChecksumMismatch',
  'InvalidArgument',
] as const;
export type NonRetryableError = (typeof NON_RETRYABLE_ERRORS)[number];
