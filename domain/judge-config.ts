// The canary judge's settings, validated like every other rollout field. Defaults are tuned with
// `npm run bench -- judge` (docs/CANARY_JUDGE.md says how to choose alpha and tolerance).
import { z } from 'zod';

export const judgeConfigSchema = z.strictObject({
  /** 'static' keeps the original rule: one rate-window reading of green against the stage's limits. */
  kind: z.enum(['sequential', 'static']).default('sequential'),
  /** Probability that a good green is rolled back in a region, over every look of the whole rollout. */
  alpha: z.number().gt(0).max(0.2).default(0.01),
  /** Green may err (or be slow) up to (1 + tolerance) × blue's rate before it counts as a regression. */
  tolerance: z.number().min(0).max(10).default(0.1),
  /** Absolute floor, in %: green below it is never a regression, however clean blue is (blue 0 %, green 0.01 %). */
  floorPct: z.number().min(0).max(100).default(0.1),
  /** Green requests a period needs before its verdict can be healthy; fewer is inconclusive. */
  minRequests: z.number().int().min(0).max(1_000_000).default(50),
  /** What a period still inconclusive at its longest does: pause for an operator (default), roll back, or go on. */
  onInconclusive: z.enum(['pause', 'rollback', 'promote']).default('pause'),
  /** An inconclusive period is extended up to this multiple of its planned duration (2 = twice as long). */
  maxExtension: z.number().min(1).max(10).default(2),
});

/** What the judge runs on (defaults filled in). */
export type JudgeConfig = z.output<typeof judgeConfigSchema>;
/** What callers write. */
export type JudgeRequest = z.input<typeof judgeConfigSchema>;

/** Every default. In a parent schema write `judge: judgeConfigSchema.prefault({})`: zod 4's `.default({})` would skip these. */
export const DEFAULT_JUDGE_CONFIG: JudgeConfig = judgeConfigSchema.parse({});
