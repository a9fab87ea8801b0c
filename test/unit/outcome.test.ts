import { describe, expect, it } from 'vitest';
import { combineOutcomes, type RegionOutcome } from '../../domain/outcome.js';

const regions = (...o: RegionOutcome[]) => o.map((outcome) => ({ outcome, stageReached: 0 }));

describe('combineOutcomes', () => {
  it.each([
    [['succeeded', 'succeeded', 'succeeded'], 'succeeded'],
    [['succeeded', 'rolled_back', 'skipped'], 'partially_succeeded'],
    [['succeeded', 'aborted', 'skipped'], 'partially_succeeded'],
    [['rolled_back', 'skipped', 'skipped'], 'rolled_back'],
    [['aborted', 'skipped', 'skipped'], 'aborted'],
    [['rolled_back', 'aborted', 'rolled_back'], 'aborted'],
  ] as [RegionOutcome[], string][])('%j → %s', (o, expected) => {
    expect(combineOutcomes(regions(...o), false)).toBe(expected);
  });

  it('a cancelled rollout is cancelled whatever its regions did', () => {
    expect(combineOutcomes(regions('succeeded', 'aborted'), true)).toBe('cancelled');
  });
});
