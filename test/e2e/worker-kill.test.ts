// Drill: two worker processes poll one task queue; `kill -9` the one the server names as running a
// canary stage's watch. The other completes the rollout, each region deployed once and set the
// stage's weight once, and the stage resumed: the watch's retry, on the surviving worker, started
// from the heartbeat details the killed attempt had recorded and ended at the period's original end,
// instead of watching a whole period again. A watch that was on the survivor runs on undisturbed.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { RolloutResult } from '../../domain/outcome.js';
import type { WatchProgress } from '../../domain/watch.js';
import { uniqueQueue } from '../helpers/ids.js';
import { waitUntil } from '../helpers/services.js';
import type { StubCall } from '../helpers/stub-worker.js';
import { devServerEnv, workflowBundle } from '../helpers/temporal.js';
import { resultWithin } from '../helpers/workflow-result.js';
import { spawnWorker, STUB_WORKER, type WorkerProcess } from '../helpers/worker-process.js';
import { request } from '../workflows/harness.js';

const REGIONS = ['us-east', 'eu-west'];
const TIME_SCALE = 0.01;
/** The watched stage: 50 min scaled to 30 s, longer than 5 polls, the 15 s heartbeat timeout and the retry's polls. */
const STAGE = { weightPct: 50, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 50 };
/** Polls the killed attempt must have recorded: more than the retry alone could make before the stage ends. */
const POLLS_BEFORE_KILL = 5;
const STAGE_MS = STAGE.durationMinutes * 60_000 * TIME_SCALE;

let env: TestWorkflowEnvironment;
const dir = mkdtempSync(join(tmpdir(), 'meridian-worker-kill-'));
const callsLog = join(dir, 'calls.jsonl');
const spawned: WorkerProcess[] = [];

beforeAll(async () => {
  env = await devServerEnv(import.meta.url);
});

afterAll(async () => {
  await Promise.allSettled(spawned.map((w) => w.kill()));
  await env?.teardown();
  rmSync(dir, { recursive: true, force: true });
});

async function startWorker(taskQueue: string): Promise<WorkerProcess> {
  const w = spawnWorker(
    {
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace!,
      MERIDIAN_TASK_QUEUE: taskQueue,
      MERIDIAN_WORKFLOW_BUNDLE: workflowBundle().codePath,
      STUB_REGIONS: REGIONS.join(','),
      STUB_CALLS_LOG: callsLog,
    },
    STUB_WORKER,
  );
  spawned.push(w);
  await waitUntil('the worker to poll', async () => w.stdout().includes('"polling"') || w.child.exitCode !== null, 60_000, 100);
  expect(w.child.exitCode, w.stderr()).toBeNull();
  return w;
}

/** The region's running watch as the server last recorded it: its polls (heartbeat details) and the worker running it. */
async function runningWatch(service: string, region: string): Promise<{ polls: number; worker?: string }> {
  const { raw } = await env.client.workflow.getHandle(regionWorkflowId(service, region)).describe();
  const watch = raw.pendingActivities?.find((a) => a.activityType?.name === 'watchPeriod');
  const details = watch?.heartbeatDetails?.payloads?.[0];
  const polls = details ? (defaultPayloadConverter.fromPayload<WatchProgress>(details).polls ?? 0) : 0;
  return { polls, worker: watch?.lastWorkerIdentity ?? undefined };
}

/** The pid a worker process announced when it started polling (its Temporal identity is `pid@host`). */
const pidOf = (w: WorkerProcess) => w.logs().find((l) => l.event === 'polling')!.pid as number;

const calls = (): StubCall[] =>
  readFileSync(callsLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as StubCall);

describe('two workers, one killed mid-stage', () => {
  it('kill -9 the worker watching a canary stage: the other finishes, nothing runs twice, the stage resumes at its heartbeat', async () => {
    const taskQueue = uniqueQueue('kill-drill');
    // The second worker boots while the first starts the rollout (two booting at once on two cores
    // take as long as one after the other), so the watches usually start on the first; the second
    // polls the queue well before the kill.
    const first = await startWorker(taskQueue);
    const second = startWorker(taskQueue);
    second.catch(() => undefined); // awaited below
    const req = request({
      regions: REGIONS,
      strategy: 'parallel',
      parallelPolicyOverride: { reason: 'worker kill drill: both regions at once' },
      stages: [STAGE, { weightPct: 100, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 1 }],
      checkIntervalSeconds: 30,
      pollSeconds: 1,
      timeScale: TIME_SCALE,
    });
    const { service } = req;
    const handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, {
      taskQueue,
      workflowId: rolloutWorkflowId(service),
      args: [req],
    });

    // Mid-stage: both regions' 50 % watches have heartbeated their polls to the server.
    const watches = async () => Promise.all(REGIONS.map((r) => runningWatch(service, r)));
    await waitUntil(
      `both canary watches to record ${POLLS_BEFORE_KILL} polls`,
      async () => (await watches()).every((w) => w.polls >= POLLS_BEFORE_KILL),
      30_000,
      200,
    );
    const workers = [first, await second];
    // The worker the server names as running the first region's watch is the one killed.
    const holder = (await runningWatch(service, REGIONS[0]!)).worker;
    const victim = workers.find((w) => holder?.startsWith(`${pidOf(w)}@`));
    expect(victim, `a worker with identity ${holder}`).toBeDefined();
    const survivor = workers.find((w) => w !== victim)!;
    process.kill(-victim!.child.pid!, 'SIGKILL');
    expect((await victim!.exited).signal).toBe('SIGKILL');

    const result = await resultWithin<RolloutResult>(env.client, handle, 75_000);
    expect(result.outcome).toBe('succeeded');
    expect(survivor.child.exitCode, 'the survivor is still running').toBeNull();
    const [killed, alive] = [pidOf(victim!), pidOf(survivor)];
    const log = calls();
    for (const region of REGIONS) {
      const mine = log.filter((c) => c.region === region);
      expect(
        mine.filter((c) => c.name === 'deploy'),
        region,
      ).toHaveLength(1);
      const stageSet = mine.filter((c) => c.name === 'setTrafficWeights' && c.weights?.green === STAGE.weightPct);
      expect(stageSet, region).toHaveLength(1);
      const watch = mine.filter((c) => c.name === 'watchPeriod' && c.phase === `canary ${STAGE.weightPct}%`);
      const started = watch.filter((c) => !c.done);
      expect(started[0]!.resumedFrom?.polls ?? 0, region).toBe(0);
      const ended = watch.filter((c) => c.done);
      expect(
        ended.map((c) => c.pid),
        region,
      ).toEqual([alive]);
      if (started[0]!.pid === killed) {
        // The killed attempt started fresh; the retry, on the survivor, started from the polls the first one had recorded…
        expect(
          started.map((c) => [c.attempt, c.pid]),
          region,
        ).toEqual([
          [1, killed],
          [2, alive],
        ]);
        expect(started[1]!.resumedFrom?.polls, region).toBeGreaterThanOrEqual(POLLS_BEFORE_KILL);
        // …counted on from them, and ended long before a whole period after the retry began.
        expect(ended[0]!.polls, region).toBeGreaterThan(started[1]!.resumedFrom!.polls);
        expect(ended[0]!.at - started[1]!.at, region).toBeLessThan(STAGE_MS - 5_000);
      } else {
        // A watch on the survivor is not disturbed by the other worker's death: one attempt.
        expect(
          started.map((c) => [c.attempt, c.pid]),
          region,
        ).toEqual([[1, alive]]);
      }
      // Either way the stage ended at the period's original end.
      expect(ended[0]!.at - stageSet[0]!.at, region).toBeGreaterThanOrEqual(STAGE_MS - 1_000);
      expect(ended[0]!.at - stageSet[0]!.at, region).toBeLessThan(STAGE_MS + 3_000);
    }
    // The first region's watch was on the killed worker by construction: the resume was exercised.
    expect(log.some((c) => c.region === REGIONS[0] && c.name === 'watchPeriod' && c.pid === killed)).toBe(true);
  });
});
