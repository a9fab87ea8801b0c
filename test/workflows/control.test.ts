// Operator control on the time-skipping server: pause, resume, abort, approve, cancel,
// one rollout per service, input validation and the parallel policy.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { WorkflowExecutionAlreadyStartedError, WorkflowFailedError } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import { abortSignal, pauseSignal, regionStatusQuery, resumeSignal, rolloutStatusQuery } from '../../workflows/messages.js';
import { bundleWorkflows, createTimeSkippingEnv } from '../helpers/temporal.js';
import { HEALTHY, StubWorld } from '../helpers/stub-world.js';
import { request, runRollout } from './harness.js';
import { recordHistories } from './record.js';

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;

beforeAll(async () => {
  [env, bundle] = await Promise.all([createTimeSkippingEnv(), bundleWorkflows()]);
});
afterAll(async () => env?.teardown());

let badRuns = 0;
const greenOf = (w: StubWorld, r: string) => w.callsFor(r, 'setTrafficWeights').map((c) => (c.args as { green: number }).green);

describe('pause and resume', () => {
  it('pause holds the current stage (no weight change) while checks go on; resume continues to promotion', async () => {
    let pausedChecks = 0;
    let weightChangesWhilePaused = 0;
    let paused = false;
    const { result, world } = await runRollout(env, bundle, request({ regions: ['us-east'], strategy: 'sequential' }), (ref) => ({
      onSetWeights: async (_r, w) => {
        if (paused) weightChangesWhilePaused++;
        if (w.green === 25 && !paused) {
          paused = true;
          await ref.handle!.signal(pauseSignal, { reason: 'investigating a spike' });
        }
      },
      onReadMetrics: async () => {
        if (!paused) return;
        // Ten 25 % checks (5 min) pass normally; count the ones made while held past the stage.
        if (++pausedChecks === 40) {
          const status = await ref.handle!.query(rolloutStatusQuery);
          expect(status.paused).toBe(true);
          const child = await env.client.workflow.getHandle(regionWorkflowId('payments-api', 'us-east')).query(regionStatusQuery);
          expect(child).toMatchObject({ paused: true, pauseReason: 'investigating a spike', stage: '25%', weights: { green: 25 } });
          paused = false;
          await ref.handle!.signal(resumeSignal, {});
        }
      },
    }));
    expect(result.outcome).toBe('succeeded');
    expect(pausedChecks).toBe(40);
    expect(weightChangesWhilePaused).toBe(0);
    expect(greenOf(world, 'us-east')).toEqual([10, 25, 50, 75, 100]);
  });

  it('a breach while paused still rolls the region back', async () => {
    let paused = false;
    const { result, world } = await runRollout(env, bundle, request({ regions: ['us-east', 'eu-west'] }), (ref) => ({
      onSetWeights: async (r, w) => {
        if (r === 'us-east' && w.green === 50 && !paused) {
          paused = true;
          await ref.handle!.signal(pauseSignal, { region: 'us-east' });
        }
      },
      metrics: (r, c, w) => (paused && w.callsFor('us-east', 'readMetrics').length > 60 ? { ...HEALTHY, latencyP95Ms: 800 } : HEALTHY),
    }));
    expect(result.regions['us-east']).toMatchObject({ outcome: 'rolled_back', stageReached: 50, breach: { metric: 'latency' } });
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    expect(result.regions['eu-west']!.outcome).toBe('skipped');
  });
});

describe('abort', () => {
  it('abort of one region rolls it back at once; later regions are skipped, finished ones stay', async () => {
    const { result, world, handle } = await runRollout(env, bundle, request({ strategy: 'sequential' }), (ref) => ({
      onSetWeights: async (r, w) => {
        if (r === 'eu-west' && w.green === 50) await ref.handle!.signal(abortSignal, { region: 'eu-west', reason: 'customer reports' });
      },
    }));
    expect(result.outcome).toBe('partially_succeeded');
    expect(result.regions['us-east']!.outcome).toBe('succeeded');
    expect(result.regions['eu-west']).toMatchObject({ outcome: 'aborted', reason: 'customer reports', stageReached: 50 });
    expect(result.regions['apac-se']).toMatchObject({ outcome: 'skipped', reason: 'eu-west aborted' });
    expect(world.weights.get('eu-west')).toEqual({ blue: 100, green: 0 });
    expect(world.weights.get('us-east')).toEqual({ blue: 0, green: 100 });
    expect(greenOf(world, 'eu-west').at(-1)).toBe(0);
    await recordHistories('sequential-abort-eu-west', env, handle);
  });

  it('abort with no region stops every region in flight and everything after it', async () => {
    const { result, world } = await runRollout(env, bundle, request({ strategy: 'parallel', parallelPolicyOverride: { reason: 'drill for the runbook' } }), (ref) => ({
      onSetWeights: async (r, w) => {
        if (r === 'apac-se' && w.green === 25) await ref.handle!.signal(abortSignal, { reason: 'stop everything' });
      },
    }));
    expect(result.outcome).toBe('aborted');
    for (const r of ['us-east', 'eu-west', 'apac-se']) {
      expect(result.regions[r]).toMatchObject({ outcome: 'aborted', reason: 'stop everything' });
      expect(world.weights.get(r)).toEqual({ blue: 100, green: 0 });
    }
  });
});

describe('approvals', () => {
  it('a gate nobody opens in time aborts that region without touching it, and skips the rest', async () => {
    const { result, world } = await runRollout(env, bundle, request({ strategy: 'sequential', approvals: { roles: ['sre'], regions: ['eu-west'], timeoutMinutes: 60 } }));
    expect(result.regions['us-east']!.outcome).toBe('succeeded');
    expect(result.regions['eu-west']).toMatchObject({ outcome: 'aborted', stageReached: 0 });
    expect(result.regions['eu-west']!.reason).toMatch(/approval timed out after 60 min \(missing: sre\)/);
    expect(world.callsFor('eu-west', 'deploy')).toHaveLength(0);
    expect(world.callsFor('eu-west', 'setTrafficWeights')).toHaveLength(0);
    expect(result.regions['apac-se']!.outcome).toBe('skipped');
  });
});

describe('cancellation', () => {
  it('cancelling the rollout rolls back regions in flight and still reports', async () => {
    const { result, world, handle } = await runRollout(env, bundle, request({ strategy: 'sequential' }), (ref) => ({
      onSetWeights: async (r, w) => {
        if (r === 'eu-west' && w.green === 75) await ref.handle!.cancel();
      },
    }));
    expect(result.outcome).toBe('cancelled');
    expect(result.regions['us-east']!.outcome).toBe('succeeded');
    expect(result.regions['eu-west']).toMatchObject({ outcome: 'aborted', reason: 'rollout cancelled', stageReached: 75 });
    expect(result.regions['apac-se']).toMatchObject({ outcome: 'skipped' });
    expect(world.weights.get('eu-west')).toEqual({ blue: 100, green: 0 });
    expect(world.cards.map((c) => c.kind).slice(-2)).toEqual(['incident', 'summary']);
    expect(world.annotations.at(-1)).toMatchObject({ outcome: 'cancelled' });
    expect((await handle.describe()).status.name).toBe('COMPLETED');
    await recordHistories('sequential-cancel', env, handle);
  });
});

describe('one rollout per service, and input', () => {
  it('a second start for the same service is refused while the first runs', async () => {
    const world = new StubWorld(['us-east']);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'dup', workflowBundle: bundle, activities: world.activities() });
    const workflowId = rolloutWorkflowId('dup-svc');
    await worker.runUntil(async () => {
      const opts = { taskQueue: 'dup', workflowId, workflowIdConflictPolicy: 'FAIL' as const, args: [request({ service: 'dup-svc', regions: ['us-east'] })] };
      const first = await env.client.workflow.start(WORKFLOW_TYPES.rollout, opts);
      await expect(env.client.workflow.start(WORKFLOW_TYPES.rollout, opts)).rejects.toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
      await first.result();
    });
  });

  it.each([
    [{ version: 'v1; rm -rf /' }, 'version: must be a release tag'],
    [{ artifact: { url: 'ftp://x/y', sha256: 'a'.repeat(64) } }, 'artifact.url: must be an http(s) URL'],
    [{ strategy: 'yolo' }, 'strategy:'],
    [{ delayBetweenRegionsMinutes: 10 }, 'delayBetweenRegionsMinutes:'],
    [{ strategy: 'sequential', delayBetweenRegionsMinutes: 60 }, 'delayBetweenRegionsMinutes: only applies to strategy "delayed"'],
    [{ stages: [{ weightPct: 50, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 5 }, { weightPct: 25, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 5 }] }, 'stages[1].weightPct: must be greater than'],
    [{ colour: 'green' }, 'unknown field "colour"'],
  ])('bad input %j is refused before any side effect, naming the field', async (bad, message) => {
    const world = new StubWorld(['us-east', 'eu-west', 'apac-se']);
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'bad-input', workflowBundle: bundle, activities: world.activities() });
    const run = worker.runUntil(env.client.workflow.execute(WORKFLOW_TYPES.rollout, { taskQueue: 'bad-input', workflowId: `bad-${++badRuns}`, args: [{ ...request(), ...bad }] }));
    const err = await run.then(() => undefined, (e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause?.message).toContain(message);
    expect(world.calls).toHaveLength(0);
  });
});

describe('parallel policy', () => {
  it('refuses parallel with fewer than 5 successful delayed rollouts on record, before any side effect', async () => {
    const world = new StubWorld(['us-east', 'eu-west', 'apac-se'], { delayedRolloutsOnRecord: 4 });
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue: 'policy', workflowBundle: bundle, activities: world.activities() });
    const err = await worker
      .runUntil(env.client.workflow.execute(WORKFLOW_TYPES.rollout, { taskQueue: 'policy', workflowId: 'policy-1', args: [request({ strategy: 'parallel' })] }))
      .then(() => undefined, (e: unknown) => e);
    expect((err as WorkflowFailedError).cause?.message).toMatch(/needs 5 successful delayed rollouts of payments-api on record; found 4/);
    expect(world.calls.filter((c) => c.name !== 'countSuccessfulDelayedRollouts')).toHaveLength(0);
  });

  it('an explicit override lets an emergency parallel rollout through without asking', async () => {
    const { result, world } = await runRollout(env, bundle, request({ strategy: 'parallel', parallelPolicyOverride: { reason: 'security fix CVE-2026-1234' } }));
    expect(result.outcome).toBe('succeeded');
    expect(world.calls.some((c) => c.name === 'countSuccessfulDelayedRollouts')).toBe(false);
  });
});

describe('dry run', () => {
  it('walks the whole plan while changing nothing', async () => {
    const { result, world } = await runRollout(env, bundle, request({ dryRun: true }));
    expect(result.outcome).toBe('succeeded');
    for (const r of ['us-east', 'eu-west', 'apac-se']) {
      expect(result.regions[r]).toMatchObject({ outcome: 'succeeded', dryRun: true, stageReached: 100 });
      expect(world.weights.get(r)).toEqual({ blue: 100, green: 0 });
      expect(world.dns.get(r)).toBe('blue');
      expect(greenOf(world, r)).toEqual([10, 25, 50, 75, 100]);
    }
    expect(world.deployed.size).toBe(0);
    expect(world.cards.every((c) => c.dryRun)).toBe(true);
  });
});

describe('regional task queues', () => {
  it('regionTaskQueues sends each region\'s activities to the worker inside that region', async () => {
    const central = new StubWorld(['us-east']);
    const inRegion = new StubWorld(['us-east']);
    const queue = 'central';
    const main = await Worker.create({ connection: env.nativeConnection, taskQueue: queue, workflowBundle: bundle, activities: central.activities() });
    const regional = await Worker.create({ connection: env.nativeConnection, taskQueue: `${queue}-us-east`, activities: inRegion.activities() });
    const result = await regional.runUntil(
      main.runUntil(
        env.client.workflow.execute(WORKFLOW_TYPES.rollout, { taskQueue: queue, workflowId: 'regional-queues', args: [request({ regions: ['us-east'], regionTaskQueues: true })] }),
      ),
    );
    expect(result.outcome).toBe('succeeded');
    expect(inRegion.callsFor('us-east', 'deploy')).toHaveLength(1);
    expect(inRegion.weights.get('us-east')).toEqual({ blue: 0, green: 100 });
    // Only reporting stays central.
    expect(new Set(central.calls.map((c) => c.name))).toEqual(new Set(['notify', 'annotate']));
  });
});

describe('signals without input', () => {
  it('pause, resume and abort sent with no input (as `temporal workflow signal --name resume` does) still work', async () => {
    const { result, world } = await runRollout(env, bundle, request({ regions: ['us-east'] }), (ref) => ({
      onSetWeights: async (_r, w) => {
        const raw = env.client.workflow.getHandle(ref.handle!.workflowId);
        if (w.green === 10) {
          await raw.signal('pause');
          await raw.signal('resume');
          await raw.signal('approve');
        }
        if (w.green === 50) await raw.signal('abort');
      },
    }));
    expect(result.regions['us-east']).toMatchObject({ outcome: 'aborted', reason: 'aborted by operator', stageReached: 50 });
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
  });
});

describe('pausing a region before it starts', () => {
  it('the region deploys, then holds before its first stage until resumed', async () => {
    let sawHeld = false;
    // A service of its own: a query to an earlier test's closed child would wait for a worker that is gone.
    const { result, world } = await runRollout(env, bundle, request({ service: 'held-svc', strategy: 'sequential', regions: ['us-east', 'eu-west'] }), (ref) => ({
      onSetWeights: async (r, w, stubs) => {
        if (r !== 'us-east' || w.green !== 10) return;
        await ref.handle!.signal(pauseSignal, { region: 'eu-west', reason: 'wait for the EU change freeze to end' });
        // Watch eu-west from outside; resume once it is held with no traffic on the candidate.
        const child = env.client.workflow.getHandle(regionWorkflowId('held-svc', 'eu-west'));
        void (async () => {
          for (let tries = 0; tries < 1200; tries++) {
            const s = await child.query(regionStatusQuery).catch(() => undefined);
            if (s?.paused && s.phase === 'canary' && s.stageReached === 0) {
              sawHeld = stubs.callsFor('eu-west', 'setTrafficWeights').length === 0 && stubs.callsFor('eu-west', 'deploy').length === 1;
              await ref.handle!.signal(resumeSignal, { region: 'eu-west' });
              return;
            }
            await new Promise((r) => setTimeout(r, 50));
          }
        })();
      },
    }));
    expect(sawHeld).toBe(true);
    expect(result.outcome).toBe('succeeded');
    expect(greenOf(world, 'eu-west')).toEqual([10, 25, 50, 75, 100]);
  });
});
