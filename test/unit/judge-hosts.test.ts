// Each candidate host against its siblings: a host whose errors are concentrated is taken out with
// the numbers that say so; hosts that differ as production hosts do (load, error rate within 2×,
// errors in bursts) are left in at the judge's α; one host has no siblings to compare with.
import { describe, expect, it } from 'vitest';
import { binomial, poisson, Rng } from '../../bench/random.js';
import { judgeHosts, NO_HOSTS, OUTLIER_RATIO, type HostCounts, type HostsState } from '../../domain/judge-hosts.js';
import { judge, startJudge, startPeriod } from '../../domain/judge.js';
import { DEFAULT_JUDGE_CONFIG } from '../../domain/judge-defaults.js';

const ALPHA = 0.01;

/** Polls hosts whose cumulative counts grow per poll by `perPoll`; stops at the first outlier. */
function watchHosts(perPoll: (poll: number) => Record<string, HostCounts>, polls: number, state: HostsState = NO_HOSTS) {
  const cumulative: Record<string, HostCounts> = {};
  for (let i = 1; i <= polls; i++) {
    for (const [h, c] of Object.entries(perPoll(i))) {
      const was = cumulative[h] ?? { requests: 0, errors: 0 };
      cumulative[h] = { requests: was.requests + c.requests, errors: was.errors + c.errors };
    }
    const r = judgeHosts(state, { ...cumulative }, ALPHA);
    state = r.state;
    if (r.outlier) return { state, outlier: r.outlier, polls: i };
  }
  return { state, polls };
}

describe('a candidate host against its siblings', () => {
  it('errors concentrated on one host of three: taken out within about a minute of 5 s polls, with its numbers and its siblings’', () => {
    // 100 requests a poll each; green-2 fails 10 of its, the others 1 in 200.
    const r = watchHosts(
      (i) => ({
        'green-1': { requests: 100, errors: i % 2 },
        'green-2': { requests: 100, errors: 10 },
        'green-3': { requests: 100, errors: 0 },
      }),
      50,
    );
    expect(r.outlier?.host).toBe('green-2');
    // Ten errors in one poll pay as a surplus over what three siblings' share allows, not as ten proofs.
    expect(r.polls).toBeLessThanOrEqual(15);
    expect(r.outlier?.reason).toMatch(/^errors [\d,]+ \/ [\d,]+ — 10\.00 % vs its 2 siblings [\d,]+ \/ [\d,]+ — 0\.\d\d %, over 3× theirs/);
    expect(r.outlier?.reason).toMatch(/evidence [\d,]+ > 300$/);
    // Taken out: judged no more, and the split starts again from here.
    expect(r.state.out).toEqual(['green-2']);
    expect(r.state.splitFrom).toEqual(r.state.seen);
    const after = judgeHosts(r.state, { ...r.state.seen, 'green-2': { requests: 1e6, errors: 1e6 } }, ALPHA);
    expect(after.outlier).toBeUndefined();
  });

  it('errors spread with the requests, even at 10 % on every host, take no host out', () => {
    const r = watchHosts(
      () => ({ a: { requests: 100, errors: 10 }, b: { requests: 200, errors: 20 }, c: { requests: 50, errors: 5 } }),
      500,
    );
    expect(r.outlier).toBeUndefined();
    expect(r.polls).toBe(500);
  });

  it('one host in play (a fleet of one, or its siblings out): nothing to compare', () => {
    expect(watchHosts(() => ({ green: { requests: 100, errors: 50 } }), 20).outlier).toBeUndefined();
    const state = { ...NO_HOSTS, out: ['b'] };
    expect(watchHosts(() => ({ a: { requests: 100, errors: 50 }, b: { requests: 100, errors: 0 } }), 20, state).outlier).toBeUndefined();
  });

  it(`stays at or below alpha with hosts up to 2× apart in load and errors, errors in bursts of 5 (seeded Monte-Carlo)`, () => {
    const rng = new Rng(21);
    const runs = 400;
    let out = 0;
    for (let run = 0; run < runs; run++) {
      // Ten hosts: loads and error rates each within 2× of one another, every rate under OUTLIER_RATIO × the others'.
      const hosts = Array.from({ length: 10 }, (_, i) => ({ name: `h${i}`, load: 1 + rng.next(), rate: 0.002 * (1 + rng.next()) }));
      const r = watchHosts(
        () =>
          Object.fromEntries(
            hosts.map((h) => {
              const requests = poisson(rng, 40 * h.load);
              // Bursts of 5 errors: a fifth as many bursts.
              return [h.name, { requests, errors: Math.min(requests, 5 * binomial(rng, requests, h.rate / 5)) }];
            }),
          ),
        120,
      );
      if (r.outlier) out++;
    }
    expect(OUTLIER_RATIO).toBeGreaterThan(2);
    expect(out / runs).toBeLessThanOrEqual(ALPHA);
  });

  it('the judge passes it on without a breach; a breach of the colour wins over it', () => {
    const t = { maxErrorRatePct: 5, maxLatencyMs: 500, comparison: 'atMost' as const };
    let state = startPeriod(startJudge(6), { phase: 'canary 50%', thresholds: t, weightPct: 50 });
    const hosts = (i: number) => ({ 'green-1': { requests: 100 * i, errors: 0 }, 'green-2': { requests: 100 * i, errors: 3 * i } });
    let outlier;
    let at = 0;
    for (let i = 1; i <= 20 && !outlier; i++) {
      at = i;
      // The colour as a whole errs like blue: 1.5 % both.
      const r = judge(
        state,
        { green: { requests: 200 * i, errors: 3 * i, slow: 0 }, blue: { requests: 200 * i, errors: 3 * i, slow: 0 }, hosts: hosts(i) },
        DEFAULT_JUDGE_CONFIG,
      );
      state = r.state;
      if (r.verdict.outlier) outlier = r.verdict;
      else expect(r.verdict.status).not.toBe('breach');
    }
    expect(outlier).toMatchObject({ status: 'healthy', outlier: { host: 'green-2' } });
    expect(state.hosts.out).toEqual(['green-2']);
    // The same polls with a candidate server down at the poll that took green-2 out: the breach is what counts.
    state = startPeriod(startJudge(6), { phase: 'canary 50%', thresholds: t, weightPct: 50 });
    for (let i = 1; i <= at; i++) {
      const colour = { green: { requests: 200 * i, errors: 3 * i, slow: 0 }, blue: { requests: 200 * i, errors: 3 * i, slow: 0 } };
      const servers = i === at ? { down: ['green-1'] } : { up: ['green-1', 'green-2'] };
      const r = judge(state, { ...colour, hosts: hosts(i), ...servers }, DEFAULT_JUDGE_CONFIG);
      state = r.state;
      expect(r.verdict.outlier).toBeUndefined();
      if (i === at) expect(r.verdict).toMatchObject({ status: 'breach', evidence: { test: 'server_down' } });
    }
  });
});
