// The judge's statistics on their own: the linear bet, the baseline's upper bound and the planned look.
import { describe, expect, it } from 'vitest';
import { Rng, poisson } from '../../bench/random.js';
import { bet, freshBets, mixtureE, normalQuantile, rateLookZ, RISK_GRID, RISK_WEIGHTS, upperRate } from '../../domain/judge-eprocess.js';
import { ALPHA_SHARES } from '../../domain/judge-state.js';

/** Counts of `bins` bins of `requests` each at `rate`, in clusters of geometric size (mean `burst`). */
function binsOf(rng: Rng, bins: number, requests: number, rate: number, burst: number) {
  return Array.from({ length: bins }, () => {
    let events = 0;
    for (let c = poisson(rng, (requests * rate) / burst); c > 0; c--) for (events++; rng.next() < 1 - 1 / burst;) events++;
    return { events, requests };
  });
}

describe('linear bets', () => {
  it('with one event in a bin pay exactly its likelihood ratio (relative risk k)', () => {
    const m = 0.01;
    const logs = bet(freshBets(), 1, m);
    RISK_GRID.forEach((k, i) => expect(logs[i]).toBeCloseTo(Math.log(k / (1 + (k - 1) * m)), 12));
  });

  it('mix the alternatives with weights that add up to 1: before any data the mixture is 1', () => {
    expect(RISK_WEIGHTS.reduce((a, w) => a + w, 0)).toBeCloseTo(1, 12);
    expect(RISK_WEIGHTS).toHaveLength(RISK_GRID.length);
    expect(mixtureE(freshBets())).toBeCloseTo(1, 12);
  });

  it("cross the error regression's bound on a gross regression's third error at a 10 % stage, the stable colour clean", () => {
    // The candidate's share of events allowed under (1 + 0.1) × the stable colour's rate, one event per poll.
    const p0 = (0.1 * 1.1) / (0.1 * 1.1 + 0.9);
    const bound = 1 / (ALPHA_SHARES.errorRegression * 0.01);
    const after = (n: number) => mixtureE(Array.from({ length: n }).reduce<readonly number[]>((logs) => bet(logs, 1, p0), freshBets()));
    expect(after(2)).toBeLessThan(bound);
    expect(after(3)).toBeGreaterThan(bound);
  });

  it('read a state kept from a longer grid as a number, each entry still a bet (no NaN after an upgrade)', () => {
    const old = [0, 0, 0, 0, 0, 0, 0];
    expect(mixtureE(old)).toBeCloseTo(1, 12);
    const next = bet(old, 1, 0.1);
    expect(next).toHaveLength(RISK_GRID.length);
    expect(Number.isFinite(mixtureE(next))).toBe(true);
  });

  it('move by a bounded factor on a burst: ten events where one was allowed pay at most 11×', () => {
    expect(mixtureE(bet(freshBets(), 10, 1))).toBeLessThan(11);
  });
});

describe('the baseline bound and the planned look', () => {
  it('the upper bound covers the true rate at its level, with bursts too', () => {
    const rng = new Rng(7);
    for (const burst of [1, 10]) {
      let missed = 0;
      for (let t = 0; t < 2000; t++) if (upperRate(binsOf(rng, 36, 2000, 0.002, burst), 0.05) < 0.002) missed++;
      expect(missed / 2000, `burst ${burst}`).toBeLessThanOrEqual(0.06);
    }
  });

  it('a look at the edge of the null rejects at most at its level, and sees 0.6 % against 0.2 %', () => {
    const rng = new Rng(11);
    const z = normalQuantile(1 - 0.05);
    let rejected = 0;
    let caught = 0;
    for (let t = 0; t < 2000; t++) {
      const base = binsOf(rng, 144, 2000, 0.002, 1);
      const b = base.reduce((a, x) => a + x.events, 0);
      const at = (rate: number) => rateLookZ(binsOf(rng, 1, 7000, rate, 1)[0]!.events, 7000, b, 144 * 2000, 1.1, 1) ?? -Infinity;
      if (at(0.0022) > z) rejected++;
      if (at(0.006) > normalQuantile(1 - 0.0075)) caught++;
    }
    expect(rejected / 2000).toBeLessThanOrEqual(0.06);
    expect(caught / 2000).toBeGreaterThan(0.9);
  });
});
