// A watched period's pure rules: when it ends, and the longest it may run (its activity's timeouts);
// and the activity's wait between polls.
import { getEventListeners } from 'node:events';
import { MockActivityEnvironment } from '@temporalio/testing';
import { describe, expect, it } from 'vitest';
import type { MetricsProvider } from '../../activities/metrics-provider.js';
import type { ColourSample } from '../../domain/counters.js';
import { createWatchActivities, pause } from '../../activities/watch.js';
import { DEFAULT_JUDGE_CONFIG } from '../../domain/judge-defaults.js';
import { startJudge, startPeriod } from '../../domain/judge.js';
import { HEALTHY } from '../helpers/stub-world.js';
import { longestMs, onPoll, startProgress, type WatchProgress, type WatchRequest, type WatchResult } from '../../domain/watch.js';

const thresholds = { maxErrorRatePct: 1, maxLatencyMs: 500, comparison: 'atMost' as const };
const start = Date.parse('2026-01-01T00:00:00Z');
const req = (hold: boolean): Pick<WatchRequest, 'judge' | 'startedAt' | 'endsAt' | 'hold'> => ({
  hold,
  startedAt: new Date(start).toISOString(),
  endsAt: new Date(start + 60 * 60_000).toISOString(),
  judge: { config: DEFAULT_JUDGE_CONFIG, state: startPeriod(startJudge(3), { phase: 'canary 25%', thresholds }) },
});
// Too few requests to decide: the verdict is inconclusive.
const thin = { reading: HEALTHY, counts: { green: { requests: 3, errors: 0, slow: 0 }, blue: { requests: 30, errors: 0, slow: 0 } } };

describe('watched periods', () => {
  it('a stage still inconclusive at its end is extended; a paused hold just ends, for the next chunk', () => {
    const end = start + 60 * 60_000;
    expect(onPoll(startProgress(req(false)), thin, req(false), end).done).toBeUndefined();
    expect(onPoll(startProgress(req(true)), thin, req(true), end).done).toMatchObject({ verdict: 'healthy' });
    expect(onPoll(startProgress(req(true)), thin, req(true), end - 1000).done).toBeUndefined();
  });

  it('suspect evidence at the planned end runs the period to its longest, through polls that dip below halfway', () => {
    const end = start + 60 * 60_000;
    const poll = (green: [number, number], blue: [number, number]) => ({
      reading: HEALTHY,
      counts: { green: { requests: green[0], errors: green[1], slow: 0 }, blue: { requests: blue[0], errors: blue[1], slow: 0 } },
    });
    // Two polls with one error each on green and none on blue: suspect (evidence 30 of 167) at the end.
    let step = onPoll(startProgress(req(false)), poll([100, 1], [900, 0]), req(false), end - 5000);
    step = onPoll(step.progress, poll([200, 2], [1800, 0]), req(false), end);
    expect(step.done).toBeUndefined();
    expect(step.progress).toMatchObject({ suspect: true, extended: true, verdict: { status: 'healthy', suspect: true } });
    // Blue's errors pull the evidence back below halfway: still watched, up to the longest.
    step = onPoll(step.progress, poll([300, 2], [2700, 6]), req(false), end + 60_000);
    expect(step.progress.verdict?.suspect).toBeUndefined();
    expect(step.done).toBeUndefined();
    expect(onPoll(step.progress, poll([400, 2], [3600, 8]), req(false), start + longestMs(req(false))).done).toMatchObject({
      verdict: 'healthy',
    });
    // Healthy and never suspect at the end: the period ends as planned.
    const calm = onPoll(startProgress(req(false)), poll([1000, 1], [9000, 9]), req(false), end);
    expect(calm.done).toMatchObject({ verdict: 'healthy' });
  });

  it('a window without a request keeps the last reading with traffic; the static judge reads it as no data, a breach', () => {
    const idle = { reading: { cpuPct: 30, memoryPct: 40, sampledAt: '2026-01-01T00:01:00Z' }, counts: thin.counts };
    const seen = onPoll(startProgress(req(false)), thin, req(false), start + 1000).progress;
    const after = onPoll(seen, idle, req(false), start + 2000);
    expect(after.done).toBeUndefined();
    expect(after.progress.last).toEqual(HEALTHY);
    expect(onPoll(startProgress(req(false)), idle, req(false), start + 1000).progress.last).toBeUndefined();
    const staticReq = { ...req(false), judge: { ...req(false).judge, config: { ...DEFAULT_JUDGE_CONFIG, kind: 'static' as const } } };
    expect(onPoll(startProgress(staticReq), idle, staticReq, start + 1000).done).toMatchObject({
      verdict: 'breach',
      breach: { metric: 'error_rate' },
    });
  });

  it("sizes the activity's timeouts to the longest run: a stage up to maxExtension ×, a hold its chunk", () => {
    expect(longestMs(req(false))).toBe(60 * 60_000 * DEFAULT_JUDGE_CONFIG.maxExtension);
    expect(longestMs(req(true))).toBe(60 * 60_000);
  });
});

describe('the wait between polls', () => {
  it('leaves nothing on the cancellation signal after each wait, and rejects with its reason once cancelled', async () => {
    const cancellation = new AbortController();
    for (let i = 0; i < 3; i++) await pause(cancellation.signal, 1);
    expect(getEventListeners(cancellation.signal, 'abort')).toHaveLength(0);
    const waiting = pause(cancellation.signal, 60_000);
    const reason = new Error('cancelled by the workflow');
    cancellation.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(pause(cancellation.signal, 1)).rejects.toBe(reason);
  });
});

describe('the counts a watch adds up', () => {
  // A period that has already run its planned 10 minutes: the next successful poll ends it.
  const startedAt = Date.now() - 10 * 60_000;
  const watched: WatchRequest = {
    ...req(false),
    ctx: { correlationId: 'rollout-api', service: 'api', region: 'us-east', dryRun: false },
    version: 'v2',
    colour: 'blue', // the candidate this time: judged as `green` whatever its name
    baseline: 'green',
    phase: 'canary 25%',
    stage: { label: 'canary 25%', weightPct: 25 },
    thresholds,
    startedAt: new Date(startedAt).toISOString(),
    endsAt: new Date().toISOString(),
    pollSeconds: 0.01,
    reportSeconds: 3600,
    judge: { config: { ...DEFAULT_JUDGE_CONFIG, minRequests: 20 }, state: req(false).judge.state },
  };
  /** Counters that stood at 100 (candidate) and 1,000 (stable) when the period began, and at 130 and 1,100 since. */
  function provider(asked: number[]): MetricsProvider {
    return {
      read: async () => HEALTHY,
      readWindow: async () => HEALTHY,
      check: async () => undefined,
      sample: async (_ctx, colour, _limit, at) => {
        asked.push(at.getTime());
        const begun = at.getTime() === startedAt;
        const requests = colour === 'blue' ? (begun ? 100 : 130) : begun ? 1_000 : 1_100;
        return { instances: { 'api-1': { requests, errors: 0, slow: 0 } } };
      },
      sampleEvery: async () => {
        throw new Error('no lookback here');
      },
      scrapeIntervalSeconds: 0,
    };
  }
  const run = async (heartbeatDetails?: WatchProgress) => {
    const asked: number[] = [];
    let last: WatchProgress | undefined;
    const env = new MockActivityEnvironment(heartbeatDetails ? { heartbeatDetails } : {});
    env.on('heartbeat', (d: WatchProgress) => (last = d));
    const result = (await env.run(createWatchActivities({ provider: () => provider(asked) }).watchPeriod, watched)) as WatchResult;
    return { result, asked, last: last! };
  };

  it("a first attempt counts from samples taken at the period's start", async () => {
    const { result, asked, last } = await run();
    expect(result.verdict, result.breach?.cause).toBe('healthy');
    expect(asked.filter((t) => t === startedAt)).toHaveLength(2);
    expect(last.counts).toEqual({ green: { requests: 30, errors: 0, slow: 0 }, blue: { requests: 100, errors: 0, slow: 0 } });
    expect(last.samples?.green.instances['api-1']?.requests).toBe(130);
  });

  it('a retried attempt counts on from its heartbeat: no sample at the start again, nothing counted twice', async () => {
    const sample = (requests: number) => ({ instances: { 'api-1': { requests, errors: 0, slow: 0 } } });
    const heartbeat: WatchProgress = {
      ...startProgress(watched),
      polls: 4,
      samples: { green: sample(120), blue: sample(1_050) },
      counts: { green: { requests: 20, errors: 0, slow: 0 }, blue: { requests: 50, errors: 0, slow: 0 } },
    };
    const { result, asked, last } = await run(heartbeat);
    expect(result.verdict, result.breach?.cause).toBe('healthy');
    expect(asked).not.toContain(startedAt);
    expect(last.polls).toBe(5);
    expect(last.counts).toEqual({ green: { requests: 30, errors: 0, slow: 0 }, blue: { requests: 100, errors: 0, slow: 0 } });
  });

  it("passes the candidate's balancer servers up and down: one the balancer had up, then down, is a breach", async () => {
    let polls = 0;
    const servers: MetricsProvider = {
      ...provider([]),
      sample: async (_ctx, colour, _limit, at) => {
        const begun = at.getTime() === startedAt;
        if (colour === 'blue' && !begun) polls += 1;
        const down = colour === 'blue' && polls >= 2;
        return {
          instances: { 'api-1': { requests: begun ? 0 : 100 * polls, errors: 0, slow: 0 } },
          servers: { [`${colour}-1@lb`]: { responses: 0, serverErrors: 0, errors: 0, down } },
        };
      },
    };
    const longer = { ...watched, endsAt: new Date(Date.now() + 60_000).toISOString() };
    const result = (await new MockActivityEnvironment().run(
      createWatchActivities({ provider: () => servers }).watchPeriod,
      longer,
    )) as WatchResult;
    expect(result.verdict).toBe('breach');
    expect(result.breach?.cause).toMatch(/blue-1@lb down/);
    expect(polls).toBe(2);
  });

  it("reads the stable colour's lookback for the judge: bins to the baseline's end, the first with data counting its history", async () => {
    const end = startedAt - 60 * 60_000;
    const edge = (minutesBefore: number) => end - minutesBefore * 60_000;
    // Nothing 30 min before the end (before retention), then 1,000 and 1,600 requests, then a restart.
    const stable: Record<number, { requests: number; errors: number; slow: number }> = {
      [edge(20)]: { requests: 1_000, errors: 0, slow: 0 },
      [edge(10)]: { requests: 1_600, errors: 3, slow: 2 },
      [edge(0)]: { requests: 300, errors: 1, slow: 0 },
    };
    const asked: unknown[] = [];
    const lookback: MetricsProvider = {
      ...provider([]),
      // The stable colour (green this time) at each instant asked.
      sampleEvery: async (_ctx, colour, _limit, from, stepMs, count) => {
        asked.push({ colour, from: from.getTime(), stepMs, count });
        return Array.from({ length: count }, (_, k): ColourSample => {
          const c = stable[from.getTime() + k * stepMs];
          return { instances: c ? { 'api-1': c } : {} };
        });
      },
    };
    const config = { ...watched.judge.config, baselineMinutes: 30, baselineBinMinutes: 10 };
    const state = startPeriod(startJudge(3, { candidate: 'blue', stable: 'green' }, new Date(end).toISOString()), {
      phase: 'canary 100%',
      thresholds,
      weightPct: 100,
    });
    const atFull = { ...watched, stage: { label: 'canary 100%', weightPct: 100 }, judge: { config, state } };
    const result = (await new MockActivityEnvironment().run(
      createWatchActivities({ provider: () => lookback }).watchPeriod,
      atFull,
    )) as WatchResult;
    // One read of four instants: the bins' edges, 30 minutes back to the baseline's end.
    expect(asked).toEqual([{ colour: 'green', from: edge(30), stepMs: 10 * 60_000, count: 4 }]);
    // The bin that begins before the data counts what the counters held at its end: still blue's own rate.
    expect(result.judgeState.lookback).toEqual([
      { requests: 1_000, errors: 0, slow: 0 },
      { requests: 600, errors: 3, slow: 2 },
      { requests: 300, errors: 1, slow: 0 },
    ]);
  });
});
