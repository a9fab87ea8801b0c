// A watched period's pure rules: when it ends, and the longest it may run (its activity's timeouts);
// and the activity's wait between polls.
import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { pause } from '../../activities/watch.js';
import { DEFAULT_JUDGE_CONFIG, startJudge, startPeriod } from '../../domain/judge.js';
import { HEALTHY } from '../helpers/stub-world.js';
import { longestMs, onPoll, startProgress, type WatchRequest } from '../../domain/watch.js';

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
