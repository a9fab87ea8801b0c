// The canary judge's settings, validated like every other rollout field; their defaults are in
// judge-defaults.ts, which workflows import without zod.
import { z } from 'zod';
import { DEFAULT_JUDGE_CONFIG as D } from './judge-defaults.js';

/** A day in 1-minute bins: a week of them would be 10,080 points per counter in the lookback's read. */
const MAX_BASELINE_BINS = 1440;

export const judgeConfigSchema = z
  .strictObject({
    /** 'static' keeps the original rule: one rate-window reading of green against the stage's limits. */
    kind: z.enum(['sequential', 'static']).default(D.kind),
    /** Probability that a good green is rolled back in a region, over every look of the whole rollout. */
    alpha: z.number().gt(0).max(0.2).default(D.alpha),
    /** Green may err (or be slow) up to (1 + tolerance) × blue's rate before it counts as a regression. */
    tolerance: z.number().min(0).max(10).default(D.tolerance),
    /** Absolute floor, in %: green below it is never a regression, however clean blue is (blue 0 %, green 0.01 %). */
    floorPct: z.number().min(0).max(100).default(D.floorPct),
    /** Green requests a period needs before its verdict can be healthy; fewer is inconclusive. */
    minRequests: z.number().int().min(0).max(1_000_000).default(D.minRequests),
    /** What a period still inconclusive at its longest does: pause for an operator (default), roll back, or go on. */
    onInconclusive: z.enum(['pause', 'rollback', 'promote']).default(D.onInconclusive),
    /** An inconclusive period is extended up to this multiple of its planned duration (2 = twice as long). */
    maxExtension: z.number().min(1).max(10).default(D.maxExtension),
    /**
     * Where the stable colour takes no traffic (the 100 % stage, validation, observation), the candidate
     * is compared with the stable colour's rates over this many minutes before the region's first stage
     * (and its counts in the region's earlier stages); 0 = the hard limits alone decide there.
     */
    baselineMinutes: z
      .number()
      .int()
      .min(0)
      .max(7 * 24 * 60)
      .default(D.baselineMinutes),
    /** The baseline is read in bins this long: their spread widens its bound when errors come in bursts. */
    baselineBinMinutes: z.number().int().min(1).max(60).default(D.baselineBinMinutes),
  })
  .superRefine((c, ctx) => {
    const bins = Math.floor(c.baselineMinutes / c.baselineBinMinutes);
    if (bins <= MAX_BASELINE_BINS) return;
    ctx.addIssue({
      code: 'custom',
      path: ['baselineBinMinutes'],
      message:
        `baselineMinutes ${c.baselineMinutes} in ${c.baselineBinMinutes}-minute bins is ${bins} bins, ` +
        `at most ${MAX_BASELINE_BINS} (a day in 1-minute bins); use longer bins`,
    });
  });

/** What the judge runs on (defaults filled in). */
export type JudgeConfig = z.output<typeof judgeConfigSchema>;

// In a parent schema write `judge: judgeConfigSchema.prefault({})`: zod 4's `.default({})` would skip the defaults.
D satisfies JudgeConfig;
