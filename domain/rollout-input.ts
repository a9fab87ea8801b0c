// The rollout's input: one JSON object, validated before any side effect.
// Shared by the client (refuses bad input before starting) and the worker, which parses it again
// for the workflow on start (activities/admission.ts), since the temporal CLI and Web UI bypass the client.
import { z } from 'zod';
import { DEFAULT_DEPLOY_POLICY, type HostCount } from './fleet.js';
import { judgeConfigSchema } from './judge-config.js';
import { DEFAULT_REGIONS, InvalidRolloutInput } from './rollout-refusals.js';
import { DEFAULT_STRATEGY, STRATEGIES, STRATEGY_RULES } from './strategy.js';
import { DEFAULT_POLL_SECONDS } from './watch.js';

export { DEFAULT_REGIONS, InvalidRolloutInput, unservedRegions } from './rollout-refusals.js';

// A workflow that parses in the sandbox (rollouts started before admission) keeps its own copy of
// zod while cached: zod's JIT (a generated parser per object schema) costs memory per such workflow
// and gains nothing for one parse (bench scale: figures in docs/BENCHMARKS.md).
z.config({ jitless: true });

/** The original package's canary table. */
export const DEFAULT_STAGES: Stage[] = [
  { weightPct: 10, maxErrorRatePct: 1.0, maxLatencyMs: 500, durationMinutes: 5 },
  { weightPct: 25, maxErrorRatePct: 0.8, maxLatencyMs: 450, durationMinutes: 5 },
  { weightPct: 50, maxErrorRatePct: 0.5, maxLatencyMs: 400, durationMinutes: 5 },
  { weightPct: 75, maxErrorRatePct: 0.3, maxLatencyMs: 350, durationMinutes: 5 },
  { weightPct: 100, maxErrorRatePct: 0.2, maxLatencyMs: 300, durationMinutes: 30 },
];

/**
 * A DNS-label-like name: safe in workflow IDs, URLs, file paths and shell arguments; no "--", which
 * separates service and region in workflow IDs.
 */
const NAME = /^(?!.*--)[a-z][a-z0-9-]{0,46}[a-z0-9]$/;
/** A release tag such as v1.12.3 or 2.0.0-rc.1: letters, digits, dot, dash, plus; nothing a shell interprets. */
export const RELEASE_TAG = /^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

export const regionName = z.string().regex(NAME, 'must be a lowercase name like "us-east" (a-z, 0-9, single "-")');
export const serviceName = z.string().regex(NAME, 'must be a lowercase name like "payments-api" (a-z, 0-9, single "-", 2-48 chars)');
/** An approval role such as "sre" or "functional". */
export const roleName = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be a lowercase role name');
const releaseTag = z.string().max(64).regex(RELEASE_TAG, 'must be a release tag like "v1.12.3" (no spaces or shell characters)');

const stageSchema = z.strictObject({
  weightPct: z.number().int().min(1).max(100),
  maxErrorRatePct: z.number().min(0).max(100),
  maxLatencyMs: z.number().positive(),
  durationMinutes: z
    .number()
    .positive()
    .max(24 * 60),
});
export type Stage = z.infer<typeof stageSchema>;

/** A number of hosts: a whole count, or a percentage of the colour's hosts ("25%"). */
const hostCount = z.union([z.number(), z.string()]).transform((v, ctx): HostCount => {
  const pct = typeof v === 'string' && /^\d+(\.\d+)?%$/.test(v) ? Number.parseFloat(v) : undefined;
  if (typeof v === 'number' ? Number.isInteger(v) && v >= 1 : pct !== undefined && pct > 0 && pct <= 100) return v as HostCount;
  ctx.addIssue({ code: 'custom', message: 'must be a count of hosts (1 or more) or a percentage like "25%" (above 0, at most 100)' });
  return z.NEVER;
});

const deployPolicySchema = z.strictObject({
  batchSize: hostCount.default(DEFAULT_DEPLOY_POLICY.batchSize),
  minimumHealthy: hostCount.default(DEFAULT_DEPLOY_POLICY.minimumHealthy),
  maxSessions: z.number().int().min(1).max(100).default(DEFAULT_DEPLOY_POLICY.maxSessions),
});

export const strategySchema = z.enum(STRATEGIES);
/** The strategies with an observation window between regions, the only ones a delay applies to. */
const OBSERVING = STRATEGIES.filter((s) => STRATEGY_RULES[s].observes)
  .map((s) => `"${s}"`)
  .join(' or ');

const rolloutInputSchema = z
  .strictObject({
    service: serviceName,
    version: releaseTag,
    artifact: z.strictObject({
      url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
      sha256: z.string().regex(/^[a-f0-9]{64}$/, 'must be 64 lowercase hex characters'),
    }),
    regions: z
      .array(regionName)
      .min(1)
      .refine((r) => new Set(r).size === r.length, 'must not repeat a region')
      .default([...DEFAULT_REGIONS]),
    strategy: strategySchema.default(DEFAULT_STRATEGY),
    delayBetweenRegionsMinutes: z.number().int().min(30).max(240).optional(),
    stages: z
      .array(stageSchema)
      .min(1)
      .default(DEFAULT_STAGES)
      .superRefine((stages, ctx) => {
        stages.forEach((s, i) => {
          const prev = stages[i - 1];
          if (prev && s.weightPct <= prev.weightPct) {
            ctx.addIssue({
              code: 'custom',
              path: [i, 'weightPct'],
              message: `must be greater than the previous stage's ${prev.weightPct}`,
            });
          }
        });
        if (stages.at(-1)?.weightPct !== 100) {
          ctx.addIssue({ code: 'custom', path: [stages.length - 1, 'weightPct'], message: 'the last stage must be 100' });
        }
      }),
    /**
     * Seconds between a watched period's progress reports (its figures pushed to the Pushgateway),
     * scaled by timeScale: the CLI's --report-interval. The field keeps its name: it is the API.
     */
    checkIntervalSeconds: z.number().int().min(1).max(3600).default(30),
    /** How each poll is judged: the sequential canary judge (green against blue), or the static limits. */
    judge: judgeConfigSchema.prefault({}),
    /**
     * Seconds between a watched period's metric polls, each judged (real seconds, not scaled; at least
     * the provider's scrape interval): --poll-seconds.
     */
    pollSeconds: z.number().min(1).max(300).default(DEFAULT_POLL_SECONDS),
    timeScale: z.number().gt(0).max(1).default(1),
    resourceLimits: z
      .strictObject({ maxCpuPct: z.number().gt(0).max(100).default(80), maxMemoryPct: z.number().gt(0).max(100).default(85) })
      .default({ maxCpuPct: 80, maxMemoryPct: 85 }),
    approvals: z
      .strictObject({
        roles: z.array(roleName).min(1),
        regions: z.array(regionName).optional(),
        timeoutMinutes: z
          .number()
          .positive()
          .max(7 * 24 * 60)
          .default(240),
      })
      .optional(),
    /** How the candidate colour's hosts are deployed: batches, minimum healthy, SSH sessions at once. */
    deployPolicy: deployPolicySchema.prefault({}),
    dryRun: z.boolean().default(false),
    /** Run each region's activities on a worker inside the region (task queue <queue>-<region>). */
    regionTaskQueues: z.boolean().default(false),
    parallelPolicyOverride: z.strictObject({ reason: z.string().min(10, 'say why (10 characters or more)').max(500) }).optional(),
  })
  .superRefine((input, ctx) => {
    if (input.delayBetweenRegionsMinutes !== undefined && !STRATEGY_RULES[input.strategy].observes) {
      ctx.addIssue({
        code: 'custom',
        path: ['delayBetweenRegionsMinutes'],
        message: `only applies to strategy ${OBSERVING}, not "${input.strategy}"`,
      });
    }
    for (const [i, r] of (input.approvals?.regions ?? []).entries()) {
      if (!input.regions.includes(r)) {
        ctx.addIssue({ code: 'custom', path: ['approvals', 'regions', i], message: `"${r}" is not one of the rollout's regions` });
      }
    }
  });

/** What callers write (defaults optional). */
export type RolloutRequest = z.input<typeof rolloutInputSchema>;
/** What the workflow runs on (defaults filled in). */
export type RolloutInput = z.output<typeof rolloutInputSchema> & { delayBetweenRegionsMinutes?: number };

export const DEFAULT_DELAY_MINUTES = 90;

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((i) => {
    const path = i.path.map((p, n) => (typeof p === 'number' ? `[${p}]` : `${n ? '.' : ''}${String(p)}`)).join('');
    if (i.code === 'unrecognized_keys')
      return `${path ? `${path}: ` : ''}unknown field${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `"${k}"`).join(', ')}`;
    return `${path || '(input)'}: ${i.message}`;
  });
}

export function parseRolloutInput(raw: unknown): RolloutInput {
  const result = rolloutInputSchema.safeParse(raw);
  if (!result.success) throw new InvalidRolloutInput(formatIssues(result.error.issues));
  const input = result.data;
  return STRATEGY_RULES[input.strategy].observes
    ? { ...input, delayBetweenRegionsMinutes: input.delayBetweenRegionsMinutes ?? DEFAULT_DELAY_MINUTES }
    : input;
}
