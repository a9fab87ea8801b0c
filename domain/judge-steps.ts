// What a watched period does after each verdict: roll back, keep watching, extend, go on or pause.
import type { JudgeConfig } from './judge-config.js';
import type { JudgeVerdict } from './judge-evidence.js';
import type { HostOutlier } from './judge-evidence.js';
import type { Breach } from './metrics.js';

export type PeriodStep =
  | { step: 'watch'; extended: boolean }
  | { step: 'proceed'; note?: string }
  | { step: 'rollback'; breach: Breach }
  | { step: 'outlier'; outlier: HostOutlier }
  | { step: 'pause'; reason: string };

/**
 * What the workflow does after a poll, `elapsedSeconds` into a period planned for `plannedSeconds`:
 * roll back on a breach; take out a host far worse than its siblings; watch until the planned end;
 * then go on if healthy, else keep watching (extended) up to maxExtension × planned, and at that
 * limit apply onInconclusive. Healthy but suspect evidence is extended too, and at that limit goes on.
 */
export function afterPoll(verdict: JudgeVerdict, elapsedSeconds: number, plannedSeconds: number, config: JudgeConfig): PeriodStep {
  if (verdict.status === 'breach') return { step: 'rollback', breach: verdict.breach! };
  if (verdict.outlier) return { step: 'outlier', outlier: verdict.outlier };
  if (elapsedSeconds < plannedSeconds) return { step: 'watch', extended: false };
  const extendable = elapsedSeconds < plannedSeconds * config.maxExtension;
  // Suspect evidence buys time at this weight, up to the longest extension, then goes on.
  if (verdict.status === 'healthy') return verdict.suspect && extendable ? { step: 'watch', extended: true } : { step: 'proceed' };
  if (extendable) return { step: 'watch', extended: true };
  const after = elapsedSeconds < 120 ? `${Math.round(elapsedSeconds)} s` : `${Math.round(elapsedSeconds / 60)} min`;
  const reason = `inconclusive after ${after} at ${verdict.phase}: ${verdict.reason ?? verdict.evidence.text}`;
  if (config.onInconclusive === 'promote') return { step: 'proceed', note: reason };
  if (config.onInconclusive === 'pause') return { step: 'pause', reason };
  return { step: 'rollback', breach: { metric: verdict.evidence.metric, phase: verdict.phase, cause: reason } };
}
