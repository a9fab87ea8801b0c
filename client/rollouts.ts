// Start, wait for and steer rollouts: typed calls for CI scripts and the CLI. Every name is
// validated before the server is contacted; server refusals become RejectedInput / RolloutConflict.
import { setTimeout as sleep } from 'node:timers/promises';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
  type WorkflowStartOptions,
} from '@temporalio/client';
import { ApplicationFailure, type Workflow } from '@temporalio/common';
import { FAILURE_TYPES, SEARCH_ATTRIBUTE_KEYS, emergencyWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../domain/contract.js';
import type { Colour } from '../domain/metrics.js';
import type { RegionResult, RolloutResult } from '../domain/outcome.js';
import {
  InvalidRolloutInput,
  parseRolloutInput,
  regionName,
  serviceName,
  unservedRegions,
  type RolloutInput,
  type RolloutRequest,
} from '../domain/rollout-input.js';
import type {
  EmergencyRollbackInput,
  EmergencyRollbackResult,
  emergencyRollback as emergencyRollbackWorkflow,
} from '../workflows/emergency-rollback.js';
import {
  abortSignal,
  admitUpdate,
  approveUpdate,
  pauseSignal,
  resumeSignal,
  rolloutStatusQuery,
  type ApprovalState,
  type RolloutStatus,
} from '../workflows/messages.js';
import { rolloutDetails, rolloutSummary } from '../workflows/metadata.js';
import type { multiRegionRollout } from '../workflows/multi-region-rollout.js';
import { taskQueueFrom } from './connection.js';
import { RejectedInput, RolloutConflict } from './errors.js';

export type RolloutHandle = WorkflowHandle<typeof multiRegionRollout>;

export interface StartedRollout {
  workflowId: string;
  runId: string;
  input: RolloutInput;
  /** The worker admitted it; false when no worker answered within the wait (the rollout waits for one). */
  admitted: boolean;
}

/** Validates a name with the domain's schema; the message names the field. */
export function checkName(field: 'service' | 'region', value: string): string {
  const r = (field === 'service' ? serviceName : regionName).safeParse(value);
  if (!r.success) throw new RejectedInput(`${field}: ${r.error.issues[0]?.message ?? 'invalid'}`);
  return value;
}

export const rolloutHandle = (client: Client, service: string): RolloutHandle =>
  client.workflow.getHandle<typeof multiRegionRollout>(rolloutWorkflowId(checkName('service', service)));

interface StartOptions {
  taskQueue?: string;
  /** The worker's configured regions, when known: any other is refused here, before any RPC. */
  workerRegions?: string[];
  admissionWaitMs?: number;
}

/** Parses the request (InvalidRolloutInput names each bad field, before any RPC) and starts the rollout. */
export function startRollout(client: Client, request: RolloutRequest, opts: StartOptions = {}): Promise<StartedRollout> {
  return startParsedRollout(client, parseRolloutInput(request), opts);
}

/** Starts a request already parsed by `parseRolloutInput` (the CLI parses it to name the flags in its errors). */
export async function startParsedRollout(client: Client, input: RolloutInput, opts: StartOptions = {}): Promise<StartedRollout> {
  const unserved = opts.workerRegions ? unservedRegions(input.regions, opts.workerRegions) : [];
  if (unserved.length) throw new InvalidRolloutInput(unserved);
  const workflowId = rolloutWorkflowId(input.service);
  const start = new WithStartWorkflowOperation<typeof multiRegionRollout>(WORKFLOW_TYPES.rollout, {
    taskQueue: opts.taskQueue ?? taskQueueFrom(),
    workflowId,
    workflowIdConflictPolicy: 'FAIL',
    // The normalised request: what the worker admits is what the caller was shown.
    args: [input],
    staticSummary: rolloutSummary(input),
    staticDetails: rolloutDetails(input),
    typedSearchAttributes: [
      { key: SEARCH_ATTRIBUTE_KEYS.service, value: input.service },
      { key: SEARCH_ATTRIBUTE_KEYS.version, value: input.version },
      { key: SEARCH_ATTRIBUTE_KEYS.strategy, value: input.strategy },
    ],
  });
  // The start and the worker's admission in one call: a request the worker refuses (a region it does
  // not serve) is an error here. With no worker answering, the rollout is started and waits for one.
  const admitted = client.workflow.executeUpdateWithStart(admitUpdate, { startWorkflowOperation: start }).then(
    () => true,
    (err: unknown) => {
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw alreadyRunning(input.service);
      const cause = err instanceof WorkflowUpdateFailedError ? err.cause : undefined;
      if (cause instanceof ApplicationFailure && cause.type === FAILURE_TYPES.invalidInput)
        throw new InvalidRolloutInput((cause.details?.[0] as string[] | undefined) ?? [cause.message]);
      throw err;
    },
  );
  const handle = await start.workflowHandle().catch(async (err: unknown) => {
    await admitted; // its error says why the start failed
    throw err;
  });
  const answered = await Promise.race([admitted, sleep(opts.admissionWaitMs ?? ADMISSION_WAIT_MS, false, { ref: false })]);
  if (!answered) admitted.catch(() => undefined);
  const { runId } = await handle.describe();
  return { workflowId, runId, input, admitted: answered };
}

/** How long `startRollout` waits for a worker to admit the rollout before returning without its answer. */
const ADMISSION_WAIT_MS = 30_000;

/**
 * Starts a workflow under its public ID (on `taskQueue`, else the configured one). One run per ID
 * at a time, a finished one may be followed by a new one: a running one is `conflict()`.
 */
async function startOnce<W extends Workflow>(
  client: Client,
  type: string,
  options: Omit<WorkflowStartOptions<W>, 'taskQueue' | 'workflowIdConflictPolicy'> & { taskQueue: string | undefined },
  conflict: () => RolloutConflict,
): Promise<WorkflowHandleWithFirstExecutionRunId<W>> {
  try {
    // The cast: TypeScript cannot see that an Omit of WorkflowStartOptions<W> put back together is one
    // again (its args are a conditional type).
    return await client.workflow.start<W>(type, {
      ...options,
      taskQueue: options.taskQueue ?? taskQueueFrom(),
      workflowIdConflictPolicy: 'FAIL',
    } as WorkflowStartOptions<W>);
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw conflict();
    throw err;
  }
}

const alreadyRunning = (service: string) =>
  new RolloutConflict(
    `a rollout of ${service} is already running (${rolloutWorkflowId(service)}): watch it with \`meridian watch ${service}\` or abort it`,
  );

/** The rollout's result; a workflow that failed (policy, input) throws WorkflowFailedError. */
export function waitForResult(client: Client, service: string, runId?: string): Promise<RolloutResult> {
  const id = rolloutWorkflowId(checkName('service', service));
  return client.workflow.getHandle<typeof multiRegionRollout>(id, runId).result();
}

/**
 * The running rollout of a service and its status (the workflow's query), or a RolloutConflict naming
 * what is wrong. The status is absent while the rollout is still being admitted: its handlers check then.
 */
async function runningRollout(client: Client, service: string): Promise<{ handle: RolloutHandle; status?: RolloutStatus }> {
  const handle = rolloutHandle(client, service);
  const notRunning = () => new RolloutConflict(`no rollout of ${service} is running (${handle.workflowId})`);
  try {
    const d = await handle.describe();
    if (d.status.name !== 'RUNNING') throw notRunning();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw notRunning();
    throw err;
  }
  // Bounded: with no worker polling, a signal still reaches the rollout; only the region check is skipped.
  const status = await client.withDeadline(Date.now() + 5000, () => handle.query(rolloutStatusQuery)).catch(() => undefined);
  return { handle, status };
}

function checkRegionOf(status: RolloutStatus | undefined, region: string | undefined, service: string): void {
  if (region === undefined) return;
  checkName('region', region);
  const regions = status && Object.keys(status.regions);
  if (regions && !regions.includes(region)) {
    throw new RejectedInput(`region: "${region}" is not in the rollout of ${service} (regions: ${regions.join(', ')})`);
  }
}

export interface ControlOptions {
  region?: string;
}

/** Holds the rollout (or one region) before its next canary stage; checks continue. */
export async function pause(client: Client, service: string, opts: ControlOptions & { reason?: string } = {}): Promise<void> {
  const { handle, status } = await runningRollout(client, service);
  checkRegionOf(status, opts.region, service);
  await handle.signal(pauseSignal, { ...(opts.region ? { region: opts.region } : {}), ...(opts.reason ? { reason: opts.reason } : {}) });
}

export async function resume(client: Client, service: string, opts: ControlOptions = {}): Promise<void> {
  const { handle, status } = await runningRollout(client, service);
  checkRegionOf(status, opts.region, service);
  await handle.signal(resumeSignal, opts.region ? { region: opts.region } : {});
}

/** Aborts the rollout (or one region): regions in flight roll back to their stable colour. */
export async function abort(client: Client, service: string, opts: ControlOptions & { reason: string }): Promise<void> {
  if (!opts.reason?.trim()) throw new RejectedInput('reason: say why the rollout is aborted');
  const { handle, status } = await runningRollout(client, service);
  checkRegionOf(status, opts.region, service);
  await handle.signal(abortSignal, { ...(opts.region ? { region: opts.region } : {}), reason: opts.reason });
}

/** Records one role's approval for a region; the workflow's validator rejects unknown regions and roles. */
export async function approve(
  client: Client,
  service: string,
  req: { region: string; role: string; approver: string },
): Promise<ApprovalState> {
  checkName('region', req.region);
  if (!req.approver?.trim()) throw new RejectedInput('approver: name the person approving');
  const { handle } = await runningRollout(client, service);
  try {
    return await handle.executeUpdate(approveUpdate, { args: [req] });
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) throw new RejectedInput(`approve: ${err.cause?.message ?? err.message}`);
    throw err;
  }
}

export type EmergencyRollback =
  | { kind: 'abort'; workflowId: string; wait(): Promise<RegionResult> }
  | { kind: 'emergency'; workflowId: string; wait(): Promise<EmergencyRollbackResult> };

/**
 * Puts a region back on its stable colour now. With a rollout of the service running and the
 * region still in flight, that is an abort of the region (the rollout rolls it back); otherwise
 * the emergencyRollback workflow moves traffic and DNS to `toColour` (blue unless said otherwise).
 */
export async function emergencyRollback(
  client: Client,
  req: { service: string; region: string; reason: string; toColour?: Colour; dryRun?: boolean; regionTaskQueue?: boolean },
  opts: { taskQueue?: string } = {},
): Promise<EmergencyRollback> {
  const { service, region, reason } = req;
  checkName('service', service);
  checkName('region', region);
  if (!reason?.trim()) throw new RejectedInput('reason: say why the region is rolled back');
  const inFlight = await regionInFlight(client, service, region);
  if (inFlight) {
    await inFlight.handle.signal(abortSignal, { region, reason });
    const { workflowId } = inFlight;
    return { kind: 'abort', workflowId, wait: () => client.workflow.getHandle(workflowId).result() as Promise<RegionResult> };
  }
  const workflowId = emergencyWorkflowId(service, region);
  const input: EmergencyRollbackInput = {
    service,
    region,
    reason,
    ...(req.toColour ? { toColour: req.toColour } : {}),
    ...(req.dryRun ? { dryRun: true } : {}),
    ...(req.regionTaskQueue ? { regionTaskQueue: true } : {}),
  };
  const handle = await startOnce<typeof emergencyRollbackWorkflow>(
    client,
    WORKFLOW_TYPES.emergencyRollback,
    {
      taskQueue: opts.taskQueue,
      workflowId,
      args: [input],
      staticSummary: `Emergency rollback of ${service} in ${region} to ${input.toColour ?? 'blue'}${input.dryRun ? ' — dry run' : ''}`,
      staticDetails: input.reason,
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTE_KEYS.service, value: service }],
    },
    () => new RolloutConflict(`an emergency rollback of ${service} in ${region} is already running (${workflowId})`),
  );
  return { kind: 'emergency', workflowId, wait: () => handle.result() };
}

/** The running rollout and the region's workflow ID, when the region is pending or running in it. */
async function regionInFlight(
  client: Client,
  service: string,
  region: string,
): Promise<{ handle: RolloutHandle; workflowId: string } | undefined> {
  let running: Awaited<ReturnType<typeof runningRollout>>;
  try {
    running = await runningRollout(client, service);
  } catch (err) {
    if (err instanceof RolloutConflict) return undefined;
    throw err;
  }
  const r = running.status?.regions[region];
  return r?.phase === 'pending' || r?.phase === 'running' ? { handle: running.handle, workflowId: r.workflowId } : undefined;
}
