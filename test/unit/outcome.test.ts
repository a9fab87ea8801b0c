import { describe, expect, it } from 'vitest';
import { combineOutcomes, readRecordedOutcome, recordedOutcome, runKind, type RegionOutcome } from '../../domain/outcome.js';

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

describe('the outcome on record (MeridianOutcome)', () => {
  it('tags drills (timeScale < 1) and dry runs, so the parallel policy counts only real rollouts', () => {
    expect(recordedOutcome('succeeded', runKind({ dryRun: false, timeScale: 1 }))).toBe('succeeded');
    expect(recordedOutcome('succeeded', runKind({ dryRun: false, timeScale: 0.01 }))).toBe('drill_succeeded');
    expect(recordedOutcome('rolled_back', runKind({ dryRun: true, timeScale: 1 }))).toBe('dry_run_rolled_back');
    expect(recordedOutcome('succeeded', runKind({ dryRun: true, timeScale: 0.01 }))).toBe('dry_run_succeeded');
  });

  it('reads back what it recorded, including outcomes with an underscore', () => {
    expect(readRecordedOutcome('drill_partially_succeeded')).toEqual({ kind: 'drill', outcome: 'partially_succeeded' });
    expect(readRecordedOutcome('dry_run_rolled_back')).toEqual({ kind: 'dry_run', outcome: 'rolled_back' });
    expect(readRecordedOutcome('rolled_back')).toEqual({ kind: 'rollout', outcome: 'rolled_back' });
  });
});
