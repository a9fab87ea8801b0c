// Outcomes of regions and of the whole rollout, and the pure rule that combines them.
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
  dryRun?: boolean;
  /** Set when the rollback itself failed: the region needs a person now. */
  rollbackError?: string;
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
