import { describe, expect, it } from 'vitest';
import { checksIn, planRollout, scaledMs, weightsFor } from '../../domain/plan.js';
import { parseRolloutInput } from '../../domain/rollout-input.js';

const base = { service: 'payments-api', version: 'v1.12.3', artifact: { url: 'https://a.example/x.tgz', sha256: 'b'.repeat(64) } };

describe('planRollout', () => {
  it('delayed with the defaults takes about 5.9 h: three regions of 58 min and two 90-minute windows', () => {
    const plan = planRollout(parseRolloutInput(base));
    expect(plan.totalMinutes).toBe(3 * 58 + 2 * 90);
    expect(plan.steps.filter((s) => s.step === 'observation window').map((s) => s.region)).toEqual(['us-east', 'eu-west']);
  });

  it('stays inside the original 5.5–11.5 h band across the allowed windows', () => {
    for (const delay of [30, 90, 240]) {
      const hours = planRollout(parseRolloutInput({ ...base, delayBetweenRegionsMinutes: delay })).totalMinutes / 60;
      expect(hours).toBeGreaterThan(3.5);
      expect(hours).toBeLessThan(11.5);
    }
  });

  it('parallel overlaps the regions: the total is one region', () => {
    const plan = planRollout(parseRolloutInput({ ...base, strategy: 'parallel' }));
    expect(plan.totalMinutes).toBe(58);
    expect(new Set(plan.steps.filter((s) => s.step.startsWith('deploy')).map((s) => s.startMinute))).toEqual(new Set([0]));
  });

  it('timeScale shrinks every step', () => {
    expect(planRollout(parseRolloutInput({ ...base, strategy: 'sequential', timeScale: 0.1 })).totalMinutes).toBeCloseTo(17.4);
  });
});

describe('timing helpers', () => {
  it('one check per interval over a window, at least one', () => {
    expect(checksIn(5, 30)).toBe(10);
    expect(checksIn(0.01, 30)).toBe(1);
    expect(checksIn(5, 7)).toBe(43);
  });

  it('scaled durations never reach 0 ms', () => {
    expect(scaledMs(30_000, 0.5)).toBe(15_000);
    expect(scaledMs(1, 0.0001)).toBe(1);
  });

  it('weights give the candidate colour its share', () => {
    expect(weightsFor('green', 25)).toEqual({ blue: 75, green: 25 });
    expect(weightsFor('blue', 100)).toEqual({ blue: 100, green: 0 });
  });
});
