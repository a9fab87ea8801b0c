// Each strategy's rules as one table: the plan, the workflow, the CLI and the parallel policy all
// read it, so a strategy's behaviour is defined in one place.
export const STRATEGIES = ['delayed', 'sequential', 'parallel'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** A request that names no strategy. */
export const DEFAULT_STRATEGY: Strategy = 'delayed';

export interface StrategyRules {
  /** Every region starts at once; otherwise one after another, each only after the previous succeeded. */
  concurrent: boolean;
  /** The promoted region is observed for delayBetweenRegionsMinutes before the next one starts. */
  observes: boolean;
  /** Allowed only with PARALLEL_POLICY_MIN_DELAYED successful rollouts on record, or an override. */
  needsRecord: boolean;
  /** A successful run of this strategy counts towards that record. */
  countsAsRecord: boolean;
}

export const STRATEGY_RULES: Record<Strategy, StrategyRules> = {
  delayed: { concurrent: false, observes: true, needsRecord: false, countsAsRecord: true },
  sequential: { concurrent: false, observes: false, needsRecord: false, countsAsRecord: false },
  parallel: { concurrent: true, observes: false, needsRecord: true, countsAsRecord: false },
};

export const rulesOf = (s: Strategy): StrategyRules => STRATEGY_RULES[s];

/** The strategies whose successful runs count towards the parallel policy's record. */
export const RECORD_STRATEGIES = (Object.keys(STRATEGY_RULES) as Strategy[]).filter((s) => STRATEGY_RULES[s].countsAsRecord);
