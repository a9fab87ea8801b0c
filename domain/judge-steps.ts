// What a watched period does after each verdict: roll back, keep watching, extend, go on or pause.
import type { JudgeConfig } from './judge-config.js';
import type { JudgeVerdict } from './judge-evidence.js';
import type { Breach } from './metrics.js';

export type PeriodStep =
  | { step: 'watch'; extended: boolean }
  | { step: 'proceed'; note?: string }
  | { step: 'rollback'; breach: Breach }
  | { step: 'pause'; reason: string };

/**
 * What the workflow does after a poll, `elapsedSeconds` into a period planned for `plannedSeconds`:
 * roll back on a breach; watch until the planned end; then go on if healthy, else keep watching
 * (extended) up to maxExtension × planned, and at that limit apply onInconclusive.
 */
export function afterPoll(verdict: JudgeVerdict, elapsedSeconds: number, plannedSeconds: number, config: JudgeConfig): PeriodStep {
  if (verdict.status === 'breach') return { step: 'rollback', breach: verdict.breach! };
  if (elapsedSeconds < plannedSeconds) return { step: 'watch', extended: false };
  if (verdict.status === 'healthy') return { step: 'proceed' };
  if (elapsedSeconds < plannedSeconds * config.maxExtension) return { step: 'watch', extended: true };
  const after = elapsedSeconds < 120 ? `${Math.round(elapsedSeconds)} s` : `${Math.round(elapsedSeconds / 60)} min`;
  const reason = `inconclusive after ${after} at ${verdict.phase}: ${verdict.reason ?? verdict.evidence.text}`;
  if (config.onInconclusive === 'promote') return { step: 'proceed', note: reason };
  if (config.onInconclusive === 'pause') return { step: 'pause', reason };
  return { step: 'rollback', breach: { metric: verdict.evidence.metric, phase: verdict.phase, cause: reason } };
}
