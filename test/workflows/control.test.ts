// Operator control on the shared dev server with scaled time: pause, resume, abort and cancel.
// Signals here arrive while stage timers may be coming due, which the time-skipping server
// mishandles (a CancelTimer for a timer it already fired wedges the run), so these run in real time.
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionWorkflowId } from '../../domain/contract.js';
import { abortSignal, pauseSignal, regionStatusQuery, resumeSignal, rolloutStatusQuery } from '../../workflows/messages.js';
import { devServerEnv } from '../helpers/temporal.js';
import { HEALTHY, StubWorld } from '../helpers/stub-world.js';
import { holdingAt, quick, runRollout } from './harness.js';
import { recordHistories } from './record.js';
import { summariesOf } from '../helpers/workflow-result.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServerEnv(import.meta.url);
});
afterAll(async () => env?.teardown());

const greenOf = (w: StubWorld, r: string) => w.callsFor(r, 'setTrafficWeights').map((c) => (c.args as { green: number }).green);

describe.concurrent('pause and resume', () => {
  it('pause holds the current stage (no weight change) while checks go on; resume continues to promotion', async () => {
    let pausedChecks = 0;
    let weightChangesWhilePaused = 0;
    let paused = false;
    const req = quick({ regions: ['us-east'], strategy: 'sequential', stages: holdingAt(25) });
    const { result, world } = await runRollout(env, req, (ref) => ({
      onSetWeights: async (_r, w) => {
        if (paused) weightChangesWhilePaused++;
        if (w.green === 25 && !paused) {
          paused = true;
          await ref.handle!.signal(pauseSignal, { reason: 'investigating a spike' });
        }
      },
      onReadMetrics: async (_r, _c, stubs) => {
        // Count the checks of the hold past the 25 % stage's end, not the stage's own.
        if (!paused || !stubs.watching?.hold) return;
        if (++pausedChecks === 6) {
          const status = await ref.handle!.query(rolloutStatusQuery);
          expect(status.paused).toBe(true);
          const child = await env.client.workflow.getHandle(regionWorkflowId(req.service, 'us-east')).query(regionStatusQuery);
          expect(child).toMatchObject({ paused: true, pauseReason: 'investigating a spike', stage: '25%', weights: { green: 25 } });
          paused = false;
          await ref.handle!.signal(resumeSignal, {});
        }
      },
    }));
    expect(result.outcome).toBe('succeeded');
    expect(pausedChecks).toBe(6);
    expect(weightChangesWhilePaused).toBe(0);
    expect(greenOf(world, 'us-east')).toEqual([10, 25, 50, 75, 100]);
    // The Web UI names the hold among the region's activities.
    const summaries = await summariesOf(env.client, regionWorkflowId(req.service, 'us-east'));
    expect(summaries).toContain('us-east canary 25% (paused before 50%): hold while paused');
  });

  it('a breach while paused still rolls the region back', async () => {
    let paused = false;
    let pausedReads = 0;
    const { result, world } = await runRollout(env, quick({ regions: ['us-east', 'eu-west'], stages: holdingAt(50) }), (ref) => ({
      onSetWeights: async (r, w) => {
        if (r === 'us-east' && w.green === 50 && !paused) {
          paused = true;
          await ref.handle!.signal(pauseSignal, { region: 'us-east' });
        }
      },
      onReadMetrics: (r) => void (paused && r === 'us-east' && pausedReads++),
      // Only the candidate slows down: the judge compares it with the stable colour.
      metrics: (_r, colour) => (colour === 'green' && pausedReads > 3 ? { ...HEALTHY, latencyP95Ms: 800 } : HEALTHY),
    }));
    expect(result.regions['us-east']).toMatchObject({ outcome: 'rolled_back', stageReached: 50, breach: { metric: 'latency' } });
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    expect(greenOf(world, 'us-east')).toEqual([10, 25, 50, 0]);
    expect(result.regions['eu-west']!.outcome).toBe('skipped');
  });
});

describe.concurrent('abort', () => {
  it('abort of one region rolls it back at once; later regions are skipped, finished ones stay', async () => {
    const { result, world, handle } = await runRollout(env, quick({ strategy: 'sequential', stages: holdingAt(50) }), (ref) => ({
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
    expect(greenOf(world, 'eu-west')).toEqual([10, 25, 50, 0]);
    await recordHistories('sequential-abort-eu-west', env, handle);
  });

  it('abort with no region stops every region in flight and everything after it', async () => {
    const { result, world } = await runRollout(
      env,
      quick({ strategy: 'parallel', parallelPolicyOverride: { reason: 'drill for the runbook' } }),
      (ref) => ({
        onSetWeights: async (r, w) => {
          if (r === 'apac-se' && w.green === 25) await ref.handle!.signal(abortSignal, { reason: 'stop everything' });
        },
      }),
    );
    expect(result.outcome).toBe('aborted');
    for (const r of ['us-east', 'eu-west', 'apac-se']) {
      expect(result.regions[r]).toMatchObject({ outcome: 'aborted', reason: 'stop everything' });
      expect(world.weights.get(r)).toEqual({ blue: 100, green: 0 });
    }
  });
});

describe.concurrent('cancellation', () => {
  it('cancelling the rollout rolls back regions in flight and still reports', async () => {
    const { result, world, handle } = await runRollout(env, quick({ strategy: 'sequential', stages: holdingAt(75) }), (ref) => ({
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

describe.concurrent('signals without input', () => {
  it('pause, resume and abort sent with no input (as `temporal workflow signal --name resume` does) still work', async () => {
    const { result, world } = await runRollout(env, quick({ regions: ['us-east'], stages: holdingAt(50) }), (ref) => ({
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

describe.concurrent('pausing a region before it starts', () => {
  it('the region deploys, then holds before its first stage until resumed', async () => {
    let sawHeld = false;
    const req = quick({ strategy: 'sequential', regions: ['us-east', 'eu-west'] });
    const { result, world } = await runRollout(env, req, (ref) => ({
      onSetWeights: async (r, w, stubs) => {
        if (r !== 'us-east' || w.green !== 10) return;
        await ref.handle!.signal(pauseSignal, { region: 'eu-west', reason: 'wait for the EU change freeze to end' });
        // Watch eu-west from outside; resume once it is held with no traffic on the candidate.
        const child = env.client.workflow.getHandle(regionWorkflowId(req.service, 'eu-west'));
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
