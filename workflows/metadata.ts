// What the Temporal Web UI and `temporal workflow describe` show of a rollout: static summaries
// and details given at start (by `meridian start` for the rollout, by the parent for each region)
// and the rollout's current details. Text only, from the validated input and the live state.
import { stageLabel } from '../domain/plan.js';
import type { RolloutInput } from '../domain/rollout-input.js';
import { rulesOf } from '../domain/strategy.js';
import type { RolloutStatus } from './messages.js';

type Described = Pick<
  RolloutInput,
  'service' | 'version' | 'strategy' | 'regions' | 'stages' | 'timeScale' | 'dryRun' | 'judge' | 'artifact'
>;

export const rolloutSummary = (i: Described): string =>
  `Rollout ${i.service} ${i.version} (${i.strategy})${i.dryRun ? ' — dry run' : i.timeScale < 1 ? ' — drill' : ''}`;

export const regionSummary = (i: Described, region: string): string =>
  `${i.service} ${i.version} in ${region} (${i.regions.indexOf(region) + 1} of ${i.regions.length}, ${i.strategy})`;

/** Markdown: what the rollout will do, the same for the rollout and each region. */
export function rolloutDetails(i: Described): string {
  const order = rulesOf(i.strategy).concurrent ? i.regions.join(' + ') : i.regions.join(' → ');
  const alpha = i.judge.kind === 'sequential' ? ` (α ${i.judge.alpha})` : '';
  const scaled = i.timeScale < 1 ? `; time scale ${i.timeScale}` : '';
  return [
    `**${i.service} ${i.version}**, ${i.strategy}: ${order}`,
    `canary ${i.stages.map((s) => stageLabel(s)).join(' / ')}; judge ${i.judge.kind}${alpha}`,
    `artifact sha256 ${i.artifact.sha256.slice(0, 12)}…${scaled}${i.dryRun ? '; dry run' : ''}`,
  ].join('\n\n');
}

/** Markdown: where each region stands, for the rollout's current details. */
export function rolloutProgress(s: RolloutStatus): string {
  const flags = [s.paused ? 'paused' : '', s.abortReason ? `aborting: ${s.abortReason}` : '', s.cancelled ? 'cancelled' : ''].filter(
    Boolean,
  );
  const regions = Object.entries(s.regions).map(([r, v]) => `${r}: ${v.phase.replace('_', ' ')}${v.reason ? ` (${v.reason})` : ''}`);
  return [flags.length ? `**${flags.join(' · ')}**` : '', ...regions].filter(Boolean).join('\n\n');
}
