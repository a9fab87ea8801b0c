// Outcomes of regions and of the whole rollout, and the pure rule that combines them.
import type { HostOutcome } from './fleet.js';
import type { Breach, Colour, Metrics } from './metrics.js';

export type RegionOutcome = 'succeeded' | 'rolled_back' | 'skipped' | 'aborted';
export type RolloutOutcome = 'succeeded' | 'partially_succeeded' | 'rolled_back' | 'aborted' | 'cancelled';

export interface RegionResult {
  outcome: RegionOutcome;
  reason?: string;
  /** Highest canary weight (%) the candidate reached; 0 when it never took traffic. */
  stageReached: number;
  lastMetrics?: Metrics;
  breach?: Breach;
  /** Colour serving the region when the region finished. */
  liveColour?: Colour;
  /** The colour the release was deployed to, once known (blue every second release). */
  candidate?: Colour;
  dryRun?: boolean;
  /** Set when the rollback itself failed: the region needs a person now. */
  rollbackError?: string;
  /** Candidate hosts whose deploy failed, kept out of the balancer, and why. */
  outOfService?: HostOutcome[];
}

export interface RolloutResult {
  outcome: RolloutOutcome;
  regions: Record<string, RegionResult>;
}

export function combineOutcomes(regions: RegionResult[], cancelled: boolean): RolloutOutcome {
  if (cancelled) return 'cancelled';
  const count = (o: RegionOutcome) => regions.filter((r) => r.outcome === o).length;
  const succeeded = count('succeeded');
  if (regions.length > 0 && succeeded === regions.length) return 'succeeded';
  if (succeeded > 0) return 'partially_succeeded';
  if (count('aborted') > 0) return 'aborted';
  return 'rolled_back';
}

/** What a run was: only a plain rollout is on record for the parallel policy. */
export type RunKind = 'rollout' | 'drill' | 'dry_run';

/** A dry run changes nothing; a drill (timeScale < 1) changes things but waits too little to prove a release. */
export const runKind = (input: { dryRun: boolean; timeScale: number }): RunKind =>
  input.dryRun ? 'dry_run' : input.timeScale < 1 ? 'drill' : 'rollout';

/** MeridianOutcome as the rollout records it: the outcome, or `drill_<outcome>` / `dry_run_<outcome>`. */
export const recordedOutcome = (outcome: RolloutOutcome, kind: RunKind): string => (kind === 'rollout' ? outcome : `${kind}_${outcome}`);

/** A recorded MeridianOutcome read back into the run's kind and its outcome. */
export function readRecordedOutcome(recorded: string): { kind: RunKind; outcome: string } {
  const kind = (['drill', 'dry_run'] as const).find((k) => recorded.startsWith(`${k}_`));
  return kind ? { kind, outcome: recorded.slice(kind.length + 1) } : { kind: 'rollout', outcome: recorded };
}
