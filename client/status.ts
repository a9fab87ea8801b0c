// What operators look at: one rollout's combined status (parent plus each region's child),
// a polling watch, per-region comparison, and the recent rollouts from visibility.
import { WorkflowFailedError, WorkflowNotFoundError, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';
import { SEARCH_ATTRIBUTE_KEYS, regionWorkflowId, WORKFLOW_TYPES } from '../domain/contract.js';
import type { Colour, Metrics } from '../domain/metrics.js';
import type { TrafficWeights } from '../domain/ports.js';
import type { HostOutcome } from '../domain/fleet.js';
import { readRecordedOutcome, type RegionResult, type RolloutResult, type RunKind } from '../domain/outcome.js';
import { DEFAULT_STRATEGY, type Strategy } from '../domain/strategy.js';
import {
  regionStatusQuery,
  rolloutStatusQuery,
  type ApprovalState,
  type RegionPhase,
  type RolloutStatus,
  type VerdictSummary,
} from '../workflows/messages.js';
import type { regionRollout } from '../workflows/region-rollout.js';
import { RolloutConflict } from './errors.js';
import { checkName, rolloutHandle } from './rollouts.js';

export interface RegionView {
  region: string;
  workflowId: string;
  phase: RegionPhase;
  paused: boolean;
  stage?: string;
  stageReached: number;
  weights?: TrafficWeights;
  candidate?: Colour;
  liveColour?: Colour;
  lastMetrics?: Metrics;
  /** The canary judge's latest verdict, with its evidence. */
  verdict?: VerdictSummary;
  pauseReason?: string;
  approvals?: ApprovalState;
  /** Candidate hosts whose deploy failed, kept out of the balancer. */
  outOfService?: HostOutcome[];
  reason?: string;
}

/** The parent's status query, with the execution's own facts and each region's detail. */
export interface RolloutView extends Pick<
  RolloutStatus,
  'service' | 'version' | 'strategy' | 'paused' | 'abortReason' | 'cancelled' | 'outcome'
> {
  workflowId: string;
  runId: string;
  /** The parent workflow's execution status: RUNNING, COMPLETED, FAILED, CANCELLED, TERMINATED… */
  state: WorkflowExecutionStatusName;
  startTime: Date;
  closeTime?: Date;
  /** Why the workflow failed (parallel policy, invalid input), when it did. */
  failure?: string;
  regions: RegionView[];
}

const weightsOf = (live: Colour | undefined) => (live ? { blue: live === 'blue' ? 100 : 0, green: live === 'green' ? 100 : 0 } : undefined);
const majority = (w: TrafficWeights | undefined): Colour | undefined => (w ? (w.green > w.blue ? 'green' : 'blue') : undefined);

function fromResult(region: string, workflowId: string, r: RegionResult): RegionView {
  return {
    region,
    workflowId,
    phase: r.outcome,
    paused: false,
    stageReached: r.stageReached,
    ...(r.liveColour ? { liveColour: r.liveColour, weights: weightsOf(r.liveColour) } : {}),
    ...(r.candidate ? { candidate: r.candidate } : {}),
    ...(r.lastMetrics ? { lastMetrics: r.lastMetrics } : {}),
    ...(r.outOfService ? { outOfService: r.outOfService } : {}),
    ...(r.reason ? { reason: r.reason } : {}),
  };
}

/** A child's live status, or its result once it closed (a finished child answers without a query). */
async function regionView(
  client: Client,
  region: string,
  workflowId: string,
  parent: RolloutStatus['regions'][string],
): Promise<RegionView> {
  const minimal: RegionView = {
    region,
    workflowId,
    phase: parent.phase,
    paused: false,
    stageReached: parent.stageReached ?? 0,
    ...(parent.reason ? { reason: parent.reason } : {}),
  };
  if (parent.phase === 'pending') return minimal;
  const child = client.workflow.getHandle<typeof regionRollout>(workflowId);
  try {
    if (parent.phase !== 'running') return fromResult(region, workflowId, await child.result());
    const s = await child.query(regionStatusQuery);
    const { region: _r, dryRun: _d, ...rest } = s;
    return { ...rest, region, workflowId, ...(majority(s.weights) ? { liveColour: majority(s.weights) } : {}) };
  } catch {
    return minimal; // the child just closed or has not started its first task: the parent's view will do
  }
}

/** The rollout of a service (the latest run): parent status plus every region's detail. */
export async function getStatus(client: Client, service: string): Promise<RolloutView> {
  const handle = rolloutHandle(client, service);
  let d: Awaited<ReturnType<typeof handle.describe>>;
  try {
    d = await handle.describe();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new RolloutConflict(`no rollout of ${service} on record (${handle.workflowId})`);
    throw err;
  }
  const base = {
    workflowId: d.workflowId,
    runId: d.runId,
    state: d.status.name,
    startTime: d.startTime,
    ...(d.closeTime ? { closeTime: d.closeTime } : {}),
  };
  if (d.status.name === 'RUNNING') {
    const s = await handle.query(rolloutStatusQuery);
    const regions = await Promise.all(Object.entries(s.regions).map(([r, v]) => regionView(client, r, v.workflowId, v)));
    const { correlationId: _c, regions: _r, ...rest } = s;
    return { ...base, ...rest, regions };
  }
  // Closed: the result and the search attributes say it all, so no worker is needed.
  const attr = <T>(k: (typeof SEARCH_ATTRIBUTE_KEYS)[keyof typeof SEARCH_ATTRIBUTE_KEYS]) =>
    d.typedSearchAttributes.get(k) as T | undefined;
  let result: RolloutResult | undefined;
  let failure: string | undefined;
  if (d.status.name === 'COMPLETED') result = await client.workflow.getHandle<() => Promise<RolloutResult>>(d.workflowId, d.runId).result();
  else if (d.status.name === 'FAILED')
    failure = await handle.result().then(
      () => undefined,
      (e: unknown) => (e instanceof WorkflowFailedError ? (e.cause?.message ?? e.message) : String(e)),
    );
  return {
    ...base,
    service: attr<string>(SEARCH_ATTRIBUTE_KEYS.service) ?? service,
    version: attr<string>(SEARCH_ATTRIBUTE_KEYS.version) ?? '?',
    strategy: attr<Strategy>(SEARCH_ATTRIBUTE_KEYS.strategy) ?? DEFAULT_STRATEGY,
    paused: false,
    cancelled: result?.outcome === 'cancelled' || d.status.name === 'CANCELLED',
    ...(result ? { outcome: result.outcome } : {}),
    ...(failure ? { failure } : {}),
    // A rollout that failed before its regions started, or was terminated, has none to show.
    regions: Object.entries(result?.regions ?? {}).map(([r, rr]) => fromResult(r, regionWorkflowId(service, r), rr)),
  };
}

/** Yields the rollout's view whenever it changes, polling; ends after the rollout closes. */
export async function* watch(
  client: Client,
  service: string,
  opts: { intervalMs?: number; signal?: AbortSignal } = {},
): AsyncGenerator<RolloutView> {
  checkName('service', service);
  const interval = opts.intervalMs ?? 2000;
  let last = '';
  let failures = 0;
  while (!opts.signal?.aborted) {
    let view: RolloutView | undefined;
    try {
      view = await getStatus(client, service);
      failures = 0;
    } catch (err) {
      // A query can fail in passing (a child closing, the first task not done yet); give up after a while.
      if (err instanceof RolloutConflict || ++failures > 10) throw err;
    }
    if (view) {
      const key = JSON.stringify({
        ...view,
        regions: view.regions.map(({ lastMetrics: m, ...r }) => ({ ...r, m: m && [m.errorRatePct, m.latencyP95Ms] })),
      });
      if (key !== last) {
        last = key;
        yield view;
      }
      if (view.state !== 'RUNNING') return;
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

export interface RegionComparison {
  region: string;
  phase: RegionPhase;
  /** The release serving (most of) the region: the rollout's version once its colour leads, else the previous one. */
  serving: 'new' | 'previous';
  version: string;
  liveColour?: Colour;
  weights?: TrafficWeights;
  /** The colour the release went to: the weights and metrics are read against it. */
  candidate?: Colour;
  stageReached: number;
  lastMetrics?: Metrics;
}

/** Per region: which version and colour serve it, the traffic split and the last health reading. */
export async function compareRegions(client: Client, service: string): Promise<{ view: RolloutView; regions: RegionComparison[] }> {
  const view = await getStatus(client, service);
  const regions = view.regions.map((r): RegionComparison => {
    const onNew = r.phase === 'succeeded' || (r.candidate !== undefined && r.liveColour === r.candidate);
    return {
      region: r.region,
      phase: r.phase,
      serving: onNew ? 'new' : 'previous',
      version: view.version,
      ...(r.liveColour ? { liveColour: r.liveColour } : {}),
      ...(r.weights ? { weights: r.weights } : {}),
      ...(r.candidate ? { candidate: r.candidate } : {}),
      stageReached: r.stageReached,
      ...(r.lastMetrics ? { lastMetrics: r.lastMetrics } : {}),
    };
  });
  return { view, regions };
}

export interface RolloutSummary {
  workflowId: string;
  runId: string;
  state: WorkflowExecutionStatusName;
  service?: string;
  version?: string;
  strategy?: string;
  /** The rollout's outcome, once it closed. */
  outcome?: string;
  /** With the outcome: a plain rollout, a drill (timeScale < 1) or a dry run; only rollouts count for the parallel policy. */
  kind?: RunKind;
  startTime: Date;
  closeTime?: Date;
}

/** Recent rollouts (newest first) from visibility, filtered on the Meridian search attributes. */
export async function listRollouts(client: Client, opts: { service?: string; limit?: number } = {}): Promise<RolloutSummary[]> {
  const limit = opts.limit ?? 20;
  // The service is checked against the name pattern, so it is safe inside the quotes.
  const filter = opts.service ? ` AND ${SEARCH_ATTRIBUTE_KEYS.service.name} = '${checkName('service', opts.service)}'` : '';
  const out: RolloutSummary[] = [];
  for await (const w of client.workflow.list({
    query: `WorkflowType = '${WORKFLOW_TYPES.rollout}'${filter}`,
    pageSize: Math.min(limit, 100),
  })) {
    const sa = w.typedSearchAttributes;
    out.push({
      workflowId: w.workflowId,
      runId: w.runId,
      state: w.status.name,
      ...optional('service', sa.get(SEARCH_ATTRIBUTE_KEYS.service)),
      ...optional('version', sa.get(SEARCH_ATTRIBUTE_KEYS.version)),
      ...optional('strategy', sa.get(SEARCH_ATTRIBUTE_KEYS.strategy)),
      ...recorded(sa.get(SEARCH_ATTRIBUTE_KEYS.outcome)),
      startTime: w.startTime,
      ...(w.closeTime ? { closeTime: w.closeTime } : {}),
    });
    if (out.length >= limit) break;
  }
  return out.sort((a, b) => b.startTime.getTime() - a.startTime.getTime());
}

const optional = <K extends string>(k: K, v: string | undefined) => (v === undefined ? {} : ({ [k]: v } as Record<K, string>));
const recorded = (v: string | undefined) => (v === undefined ? {} : readRecordedOutcome(v));
