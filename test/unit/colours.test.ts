// Every second release is deployed to blue: the views name the candidate and the stable colour by
// their real colour (the Web UI's details, the lab's progress lines), never assume green.
import { describe, expect, it } from 'vitest';
import { splitText } from '../../domain/colours.js';
import { checkOutcome } from '../../lab/demo-expect.js';
import { ProgressView } from '../../lab/progress.js';
import { drainedAt } from '../../lab/watch.js';
import type { RegionRolloutInput } from '../../workflows/messages.js';
import { RegionState } from '../../workflows/region-state.js';

const reading = { errorRatePct: 4.2, latencyP95Ms: 130, sampledAt: '2026-01-01T00:00:00Z' };

describe('colour names', () => {
  it('splitText puts the candidate first, by its colour; without one, the balancer order', () => {
    expect(splitText({ blue: 25, green: 75 }, 'blue')).toBe('candidate blue 25 % / stable green 75 %');
    expect(splitText({ blue: 75, green: 25 }, 'green')).toBe('candidate green 25 % / stable blue 75 %');
    expect(splitText({ blue: 100, green: 0 })).toBe('blue 100 % / green 0 %');
  });

  it("the Web UI's details name a blue candidate", () => {
    let published = '';
    const input = { region: 'us-east', version: 'v1.12.3', dryRun: false } as RegionRolloutInput;
    const state = new RegionState(input, (d) => (published = d));
    state.weights = { blue: 0, green: 100 };
    expect(published).toContain('blue 0 % / green 100 %');
    state.candidate = 'blue';
    state.stage = '25%';
    state.weights = { blue: 25, green: 75 };
    expect(published).toBe('**us-east** v1.12.3: pending · stage 25% · candidate blue 25 % / stable green 75 %');
    expect(state.finish('rolled_back', 'error rate at canary 25%')).toMatchObject({ candidate: 'blue' });
  });

  it("the lab's progress line names a blue candidate and its readings as blue's", () => {
    const view = new ProgressView({ write: () => undefined }, false);
    const line = view.regionLine({
      region: 'eu-west',
      phase: 'canary',
      stage: '25%',
      weights: { blue: 25, green: 75 },
      candidate: 'blue',
      lastMetrics: reading,
    });
    expect(line).toContain('LB candidate blue  25 / stable green  75');
    expect(line).toContain('blue: err 4.20% p95 130ms');
    expect(line).not.toContain('green: err');
    expect(view.regionLine({ region: 'eu-west', phase: 'pending' })).toContain('candidate: no reading yet');
  });

  it("the rollback as clients see it is the candidate's drain, whichever colour it is", () => {
    const changes = [
      { at: 1, blue: 0, green: 100 },
      { at: 2, blue: 10, green: 90 },
      { at: 3, blue: 0, green: 100 },
    ];
    expect(drainedAt(changes, 'blue')).toBe(3);
    expect(drainedAt(changes, 'green')).toBeUndefined();
  });

  it("the demo's check expects a blue candidate promoted on blue and rolled back to green", () => {
    const breach = {
      metric: 'error_rate' as const,
      phase: 'canary 25%',
      cause: 'error rate regression at canary 25%: blue 12 errors / 300 vs green 0 / 2,700, evidence 310 > 250',
    };
    const d = {
      fault: { kind: 'subtle' as const, region: 'eu-west' },
      expected: { 'us-east': 'succeeded' as const, 'eu-west': 'rolled_back' as const },
      result: {
        outcome: 'partially_succeeded' as const,
        regions: {
          'us-east': { outcome: 'succeeded' as const, stageReached: 100, candidate: 'blue' as const },
          'eu-west': { outcome: 'rolled_back' as const, stageReached: 25, candidate: 'blue' as const, breach },
        },
      },
      haproxyWeights: { 'us-east': { blue: 100, green: 0 }, 'eu-west': { blue: 0, green: 100 } },
      cards: [{ channel: 'slack' as const, hook: 'eu-west', kind: 'rollback', title: 'eu-west rolled back to green', cause: breach.cause }],
      faults: [
        {
          time: '2026-01-01T00:00:00Z',
          region: 'eu-west',
          colour: 'blue' as const,
          version: 'v2',
          kind: 'error-rate' as const,
          value: 0.6,
        },
      ],
    };
    expect(checkOutcome(d)).toEqual([]);
    expect(checkOutcome({ ...d, haproxyWeights: { 'us-east': { blue: 0, green: 100 }, 'eu-west': { blue: 0, green: 100 } } })).toEqual([
      'us-east: HAProxy holds blue 0/green 100, expected blue 100',
    ]);
  });
});
