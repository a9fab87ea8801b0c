// A pause is neutral (dev server, scaled time, stub activities): a hold opens no judge period and
// spends no α, it goes on judging the period it follows, and its evidence is kept on resume. A
// watch that goes silent (its activity paused with `temporal activity pause`, or lost) holds the
// region. Also what the watcher tells the judge of each period.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Context } from '@temporalio/activity';
import type { WorkflowHandle } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regionWorkflowId } from '../../domain/contract.js';
import { needsBaseline, withBaseline } from '../../domain/judge.js';
import type { Colour } from '../../domain/metrics.js';
import type { RolloutResult } from '../../domain/outcome.js';
import type { MeridianActivities } from '../../domain/ports.js';
import { nextPollDelay, onPoll, startProgress, type WatchProgress, type WatchRequest, type WatchResult } from '../../domain/watch.js';
import { ensureTemporalBinaries } from '../../lab/temporal-binaries.js';
import { pauseSignal, regionStatusQuery, resumeSignal } from '../../workflows/messages.js';
import { HEALTHY, StubWorld, type WorldHooks } from '../helpers/stub-world.js';
import { devServerEnv } from '../helpers/temporal.js';
import { holdingAt, quick, runRollout } from './harness.js';
import { recordHistories } from './record.js';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await devServerEnv(import.meta.url);
});
afterAll(async () => env?.teardown());

const greenOf = (w: StubWorld) => w.callsFor('us-east', 'setTrafficWeights').map((c) => (c.args as { green: number }).green);
/** The first watch request of a phase that is not a hold. */
const periodOf = (w: StubWorld, phase: string) => w.watches.find((r) => r.phase === phase && !r.hold)!;
/** Green requests a stub poll adds at 25 %: 2,000 per poll split by the weights. */
const GREEN_PER_POLL_AT_25 = 500;

/** Pauses at the 25 % stage, resumes after `holdPolls` polls of the hold; `onHoldPoll` sees each. */
function pauseAt25(holdPolls: number, onHoldPoll: (n: number) => void = () => undefined) {
  return (ref: { handle?: WorkflowHandle }): WorldHooks => {
    let paused = false;
    let polls = 0;
    return {
      onSetWeights: async (_r, w) => {
        if (w.green !== 25 || paused) return;
        paused = true;
        await ref.handle!.signal(pauseSignal, { reason: 'looking at a dashboard' });
      },
      onReadMetrics: async (_r, colour, world) => {
        if (colour !== 'green' || !world.watching?.hold) return;
        onHoldPoll(++polls);
        if (polls === holdPolls) await ref.handle!.signal(resumeSignal, {});
      },
    };
  };
}

describe.concurrent('a hold is neutral', () => {
  it('opens no judge period: each period after a pause and resume keeps its number; the hold judges the period it follows', async () => {
    const plain = await runRollout(env, quick({ regions: ['us-east'], stages: holdingAt(25) }));
    const held = await runRollout(env, quick({ regions: ['us-east'], stages: holdingAt(25) }), pauseAt25(6));
    expect(plain.result.outcome).toBe('succeeded');
    expect(held.result.outcome).toBe('succeeded');
    expect(greenOf(held.world)).toEqual([10, 25, 50, 75, 100]);
    const periods = (w: StubWorld) => w.watches.filter((r) => !r.hold).map((r) => [r.phase, r.judge.state.started]);
    expect(periods(held.world)).toEqual(periods(plain.world));
    expect(periodOf(held.world, 'final validation').judge.state.started).toBe(6);
    // Every request of the hold (its chunk and the poll after the resume) continues the 25 % period.
    const stage = periodOf(held.world, 'canary 25%');
    const holds = held.world.watches.filter((r) => r.hold);
    expect(holds.length).toBeGreaterThanOrEqual(2);
    for (const h of holds) {
      expect(h).toMatchObject({ startedAt: stage.startedAt, thresholds: stage.thresholds, stage: stage.stage });
      expect(h.judge.state.started).toBe(stage.judge.state.started);
      expect(h.judge.state.period?.phase).toBe('canary 25%');
    }
    await recordHistories('pause-resume-25', env, held.handle);
  });

  it('keeps the evidence of the hold: the next stage starts from the state the hold left', async () => {
    let pollsBeforeResume = 0;
    const { result, world } = await runRollout(
      env,
      quick({ regions: ['us-east'], stages: holdingAt(25) }),
      pauseAt25(6, (n) => n <= 6 && (pollsBeforeResume = n)),
    );
    expect(result.outcome).toBe('succeeded');
    const firstHold = world.watches.find((r) => r.hold)!;
    const next = periodOf(world, 'canary 50%');
    // The judge state the hold started from is the 25 % period's at its end; the 50 % stage's
    // includes every poll the hold made before the resume (the poll after it reads them all).
    const added = next.judge.state.total.green.requests - firstHold.judge.state.total.green.requests;
    expect(pollsBeforeResume).toBe(6);
    expect(added).toBeGreaterThanOrEqual(6 * GREEN_PER_POLL_AT_25);
    expect(next.judge.state.total.blue.requests).toBeGreaterThan(firstHold.judge.state.total.blue.requests);
  });

  it('a breach during a hold still rolls back, judged on the period the hold follows', async () => {
    let bad = false;
    const hooks = pauseAt25(Infinity, (n) => (bad = n >= 3));
    const { result, world } = await runRollout(env, quick({ regions: ['us-east'], stages: holdingAt(25) }), (ref) => ({
      ...hooks(ref),
      metrics: (_r, colour) => (colour === 'green' && bad ? { ...HEALTHY, errorRatePct: 5 } : HEALTHY),
    }));
    expect(result.regions['us-east']).toMatchObject({
      outcome: 'rolled_back',
      stageReached: 25,
      breach: { metric: 'error_rate', phase: 'canary 25%' },
    });
    expect(world.weights.get('us-east')).toEqual({ blue: 100, green: 0 });
    expect(greenOf(world)).toEqual([10, 25, 0]);
    expect(world.watches.filter((r) => r.hold).every((r) => r.judge.state.started === 2)).toBe(true);
  });

  it('an inconclusive pause opens no period either: resumed with more traffic, the region promotes with its planned periods', async () => {
    const req = quick({ regions: ['us-east'] });
    const { result, world } = await runRollout(env, req, (ref) => {
      let polls = 0;
      return {
        requestsPerPoll: 20,
        onReadMetrics: async (_r, colour, w) => {
          if (colour !== 'green' || !w.watching?.hold || ++polls !== 3) return;
          w.hooks.requestsPerPoll = 2000;
          await ref.handle!.signal(resumeSignal, {});
        },
      };
    });
    expect(world.cards.filter((c) => c.kind === 'paused')).toHaveLength(1);
    expect(result.regions['us-east']).toMatchObject({ outcome: 'succeeded', stageReached: 100 });
    expect(world.watches.filter((r) => r.hold).every((r) => r.phase.startsWith('canary 10%') && r.judge.state.started === 1)).toBe(true);
    expect(periodOf(world, 'final validation').judge.state.started).toBe(6);
  });
});

describe.concurrent('the judge is told', () => {
  it("each period's planned weight, the region's real colours and where the stable colour's lookback ends", async () => {
    const { result, world } = await runRollout(env, quick({ regions: ['us-east'] }));
    expect(result.outcome).toBe('succeeded');
    const first = periodOf(world, 'canary 10%');
    expect(world.watches.map((r) => [r.phase, r.judge.state.period?.weightPct])).toEqual([
      ['canary 10%', 10],
      ['canary 25%', 25],
      ['canary 50%', 50],
      ['canary 75%', 75],
      ['canary 100%', 100],
      ['final validation', 100],
    ]);
    for (const r of world.watches)
      expect(r.judge.state).toMatchObject({ colours: { candidate: 'green', stable: 'blue' }, baselineEndsAt: first.startedAt });
  });
});

/**
 * Watches in real time as the real activity does (a heartbeat per poll, cancellation through the
 * signal), so `temporal activity pause` interrupts it. Counts grow with time since the period began.
 */
class RealTimeWatchWorld extends StubWorld {
  /** Requests per millisecond, split by the weights. */
  static readonly RATE = 20;
  /** Picks a watch whose every attempt hangs after one heartbeat: a lost watch. */
  hang?: (req: WatchRequest) => boolean;
  /** When the hung watch's first attempt heartbeated last. */
  silentSince = 0;
  private hung?: string;

  override activities(): MeridianActivities {
    return { ...super.activities(), watchPeriod: (req) => this.watchInRealTime(req) };
  }

  private async watchInRealTime(req: WatchRequest): Promise<WatchResult> {
    const act = Context.current();
    if (act.info.attempt === 1) this.watches.push(req);
    this.watching = req;
    let progress = (act.info.heartbeatDetails as WatchProgress | undefined) ?? startProgress(req);
    if (needsBaseline(progress.judgeState, req.judge.config))
      progress = { ...progress, judgeState: withBaseline(progress.judgeState, this.lookback(req)) };
    if (this.hung === act.info.activityId || (!this.hung && this.hang?.(req))) {
      this.hung = act.info.activityId;
      act.heartbeat(progress);
      if (act.info.attempt === 1) this.silentSince = Date.now();
      // Silent until the worker shuts down.
      await waitOrCancel(act.cancellationSignal, 24 * 3600_000);
    }
    for (;;) {
      act.heartbeat(progress);
      await waitOrCancel(act.cancellationSignal, nextPollDelay(Date.now(), Date.parse(req.endsAt), req.pollSeconds * 1000));
      const step = onPoll(
        progress,
        { reading: HEALTHY, counts: { green: this.countsOf(req, req.colour), blue: this.countsOf(req, req.baseline) } },
        req,
        Date.now(),
      );
      progress = step.progress;
      if (step.done) return step.done;
    }
  }

  private countsOf(req: WatchRequest, colour: Colour) {
    const requests = (RealTimeWatchWorld.RATE * (Date.now() - Date.parse(req.startedAt)) * this.weights.get(req.ctx.region)![colour]) / 100;
    return { requests, errors: requests * 0.0005, slow: requests * 0.01 };
  }
}

/** Waits `ms`, or rejects with the activity's cancellation (a pause, too) as the real watch does. */
const waitOrCancel = (signal: AbortSignal, ms: number) =>
  new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const cancel = () => (clearTimeout(timer), reject(signal.reason as Error));
    const timer = setTimeout(() => (signal.removeEventListener('abort', cancel), resolve()), ms);
    signal.addEventListener('abort', cancel, { once: true });
  });

/** Resumes the region once its hold is watched (a resume before that would skip the hold). */
async function resumeOnceHeld(world: StubWorld, handle: WorkflowHandle): Promise<void> {
  while (!world.watches.some((r) => r.hold)) await new Promise((r) => setTimeout(r, 50));
  await handle.signal(resumeSignal, { region: 'us-east' });
}

/** After the silent watch: held on the 25 % period, then that period itself went on (same start, no new period), then promoted. */
function expectWatchedOnAndPromoted(world: StubWorld, result: RolloutResult): void {
  expect(result.regions['us-east']).toMatchObject({ outcome: 'succeeded', stageReached: 100 });
  expect(greenOf(world)).toEqual([10, 25, 50, 75, 100]);
  const at25 = world.watches.filter((r) => r.stage.weightPct === 25);
  expect(at25.map((r) => [r.phase, r.hold])).toEqual([
    ['canary 25%', false],
    ['canary 25% (paused: watch silent)', true],
    ['canary 25%', false],
  ]);
  expect(new Set(at25.map((r) => r.startedAt)).size).toBe(1);
  expect(new Set(at25.map((r) => r.judge.state.started))).toEqual(new Set([2]));
}

/** QUICK_STAGES with a 25 % stage of 120 min (14.4 s scaled), polled every second. */
const long25 = () =>
  quick({
    regions: ['us-east'],
    pollSeconds: 1,
    stages: holdingAt(25).map((s) => (s.weightPct === 25 ? { ...s, durationMinutes: 120 } : s)),
  });

describe.concurrent('a silent watch holds the region', () => {
  it("`temporal activity pause` on the stage's watch: the region holds within a minute (reason, card); resumed, it promotes", async () => {
    const req = long25();
    const world = new RealTimeWatchWorld(['us-east']);
    const regionId = regionWorkflowId(req.service, 'us-east');
    let pausedAt = 0;
    let heldAfterMs = -1;
    const { result, handle } = await runRollout(
      env,
      req,
      (ref) => ({
        onSetWeights: (_r, w) => {
          if (w.green !== 25) return;
          // Once the stage's watch runs: pause it as an operator would, then watch the region from outside.
          void (async () => {
            const region = env.client.workflow.getHandle(regionId);
            let activityId: string | undefined;
            while (!activityId) {
              const { raw } = await region.describe();
              // Running, not only scheduled: it has heartbeated.
              activityId =
                raw.pendingActivities?.find((a) => a.activityType?.name === 'watchPeriod' && a.heartbeatDetails)?.activityId ?? undefined;
              if (!activityId) await new Promise((r) => setTimeout(r, 50));
            }
            await promisify(execFile)(ensureTemporalBinaries().cli!, [
              'activity',
              'pause',
              '--address',
              env.address,
              '--namespace',
              env.namespace!,
              '--workflow-id',
              regionId,
              '--activity-id',
              activityId,
            ]);
            pausedAt = Date.now();
            for (;;) {
              const s = await region.query(regionStatusQuery);
              if (s.paused) {
                heldAfterMs = Date.now() - pausedAt;
                expect(s).toMatchObject({ stage: '25%', weights: { green: 25 } });
                expect(s.pauseReason).toMatch(/^watch paused at canary 25%: its activity was paused/);
                break;
              }
              await new Promise((r) => setTimeout(r, 100));
            }
            await resumeOnceHeld(world, ref.handle!);
          })();
        },
      }),
      world,
    );
    expect(heldAfterMs).toBeGreaterThanOrEqual(0);
    expect(heldAfterMs).toBeLessThan(60_000);
    expect(world.cards.filter((c) => c.kind === 'paused')).toEqual([
      expect.objectContaining({ cause: expect.stringMatching(/^watch paused at canary 25%/), stage: 'canary 25%' }),
    ]);
    expectWatchedOnAndPromoted(world, result);
    await recordHistories('watch-paused', env, handle);
  });

  it('a lost watch (its worker stops heartbeating) holds the region within a minute, with the reason; resumed, it promotes', async () => {
    const req = long25();
    const world = new RealTimeWatchWorld(['us-east']);
    world.hang = (r) => r.phase === 'canary 25%' && !r.hold;
    let heldAfterMs = -1;
    const { result } = await runRollout(
      env,
      req,
      (ref) => ({
        onNotify: async (card) => {
          if (card.kind !== 'paused') return;
          heldAfterMs = Date.now() - world.silentSince;
          const s = await env.client.workflow.getHandle(regionWorkflowId(req.service, 'us-east')).query(regionStatusQuery);
          expect(s).toMatchObject({ paused: true, stage: '25%', weights: { green: 25 } });
          expect(s.pauseReason).toMatch(/^watch lost at canary 25%: its worker stopped heartbeating/);
          void resumeOnceHeld(world, ref.handle!);
        },
      }),
      world,
      150_000,
    );
    // Three attempts of 15 s heartbeat timeouts and their backoff: about 48 s.
    expect(heldAfterMs).toBeGreaterThan(0);
    expect(heldAfterMs).toBeLessThan(60_000);
    expect(world.cards.filter((c) => c.kind === 'paused')).toEqual([
      expect.objectContaining({ cause: expect.stringMatching(/^watch lost at canary 25%/) }),
    ]);
    expectWatchedOnAndPromoted(world, result);
  }, 180_000);
});
