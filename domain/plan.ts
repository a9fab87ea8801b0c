// The rollout's timeline as pure functions: stage labels, weights, check counts, and the
// expected duration per strategy (what `meridian plan` prints, and what the workflow waits).
import type { Colour, Thresholds } from './metrics.js';
import type { TrafficWeights } from './ports.js';
import type { RolloutInput, Stage } from './rollout-input.js';
import { rulesOf, type Strategy } from './strategy.js';

export const stageLabel = (s: Pick<Stage, 'weightPct'>): string => `${s.weightPct}%`;

/** Weights that give the candidate colour `pct` % of traffic. */
export function weightsFor(candidate: Colour, pct: number): TrafficWeights {
  return candidate === 'green' ? { blue: 100 - pct, green: pct } : { blue: pct, green: 100 - pct };
}

/** A canary stage's gates: its error and latency limits and the rollout's resource limits, each at most. */
export function stageThresholds(limits: RolloutInput['resourceLimits'], stage: Stage): Thresholds {
  const { maxCpuPct, maxMemoryPct } = limits;
  return { maxErrorRatePct: stage.maxErrorRatePct, maxLatencyMs: stage.maxLatencyMs, maxCpuPct, maxMemoryPct, comparison: 'atMost' };
}

/** Final health: the last stage's gates, strictly below ("error < 0.2 %, latency < 300 ms"). */
export function finalThresholds(stages: readonly Stage[], limits: RolloutInput['resourceLimits']): Thresholds {
  return { ...stageThresholds(limits, stages[stages.length - 1]!), comparison: 'below' };
}

/** A duration under the input's timeScale, never below 1 ms (Temporal's timers need > 0). */
export const scaledMs = (ms: number, timeScale: number): number => Math.max(1, Math.round(ms * timeScale));

/** Final health validation at 100 %: checked this long, like the original's 5-minute step. */
export const FINAL_VALIDATION_MINUTES = 5;
/** A deploy's nominal time (it waits on the host, not on a timer), from the original's timeline. */
const DEPLOY_ESTIMATE_MINUTES = 3;

/** Checks in a window: one per interval over its length, at least one. */
export function checksIn(minutes: number, checkIntervalSeconds: number): number {
  return Math.max(1, Math.ceil((minutes * 60) / checkIntervalSeconds));
}

interface PlanStep {
  region: string;
  step: string;
  startMinute: number;
  minutes: number;
}

export interface Plan {
  strategy: Strategy;
  steps: PlanStep[];
  totalMinutes: number;
  timeScale: number;
}

/** The expected timeline; with parallel, regions overlap, so the total is the longest region. */
export function planRollout(
  input: Pick<RolloutInput, 'regions' | 'strategy' | 'stages' | 'timeScale' | 'delayBetweenRegionsMinutes'>,
): Plan {
  const steps: PlanStep[] = [];
  let clock = 0;
  let longest = 0;
  input.regions.forEach((region, i) => {
    const rules = rulesOf(input.strategy);
    let t = rules.concurrent ? 0 : clock;
    const add = (step: string, minutes: number) => {
      steps.push({ region, step, startMinute: t, minutes });
      t += minutes;
    };
    add('deploy to candidate colour', DEPLOY_ESTIMATE_MINUTES);
    for (const s of input.stages)
      add(`canary ${stageLabel(s)} (≤ ${s.maxErrorRatePct}% errors, ≤ ${s.maxLatencyMs} ms)`, s.durationMinutes);
    add('final health validation', FINAL_VALIDATION_MINUTES);
    if (rules.observes && i < input.regions.length - 1) add('observation window', input.delayBetweenRegionsMinutes ?? 0);
    clock = t;
    longest = Math.max(longest, t);
  });
  const scale = (m: number) => m * input.timeScale;
  return {
    strategy: input.strategy,
    timeScale: input.timeScale,
    steps: steps.map((s) => ({ ...s, startMinute: scale(s.startMinute), minutes: scale(s.minutes) })),
    totalMinutes: scale(rulesOf(input.strategy).concurrent ? longest : clock),
  };
}
