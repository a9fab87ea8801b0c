// The canary judge's defaults as plain data, apart from their schema (judge-config.ts): workflows
// read them, and a workflow that imports zod carries its own copy of it in the worker's memory.
// Defaults are tuned with `npm run bench -- judge` (docs/CANARY_JUDGE.md says how to choose alpha and tolerance).

/** Every default of the judge's settings (`judgeConfigSchema.parse({})`). */
export const DEFAULT_JUDGE_CONFIG = {
  kind: 'sequential' as 'sequential' | 'static',
  alpha: 0.01,
  tolerance: 0.1,
  floorPct: 0.1,
  minRequests: 50,
  onInconclusive: 'pause' as 'pause' | 'rollback' | 'promote',
  maxExtension: 2,
  baselineMinutes: 1440,
  baselineBinMinutes: 10,
};
