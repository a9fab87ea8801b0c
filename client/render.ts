// Text the CLI prints, as pure functions of the data (unit-tested without a server).
import { hostsText } from '../domain/fleet.js';
import { splitText } from '../domain/colours.js';
import type { Colour, Metrics } from '../domain/metrics.js';
import type { RegionResult, RolloutResult } from '../domain/outcome.js';
import { planRollout, type Plan } from '../domain/plan.js';
import type { TrafficWeights } from '../domain/ports.js';
import { DEFAULT_DELAY_MINUTES, type RolloutInput } from '../domain/rollout-input.js';
import { rulesOf, STRATEGY_RULES, type Strategy } from '../domain/strategy.js';
import type { RegionComparison, RegionView, RolloutSummary, RolloutView } from './status.js';

/** "about 58 min" under 90 minutes, else "about 5.9 h". */
export function aboutDuration(minutes: number): string {
  if (minutes < 1) return `about ${Math.max(1, Math.round(minutes * 60))} s`;
  return minutes < 90 ? `about ${Math.round(minutes)} min` : `about ${(minutes / 60).toFixed(1)} h`;
}

/** A span for a timeline column: "1 h 30 min", "5 min", "42 s". */
export function span(minutes: number): string {
  const s = Math.round(minutes * 60);
  if (s < 60) return `${s} s`;
  if (s >= 3600) {
    const total = Math.round(s / 60);
    const [h, m] = [Math.floor(total / 60), total % 60];
    return m ? `${h} h ${m} min` : `${h} h`;
  }
  const [m, sec] = [Math.floor(s / 60), s % 60];
  // Seconds matter only for short spans (scaled drills).
  return sec && m < 10 ? `${m} min ${sec} s` : `${Math.round(s / 60)} min`;
}

/** Clock offset from the start: "T+1:38:00". */
export function offset(minutes: number): string {
  const s = Math.round(minutes * 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `T+${Math.floor(s / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
}

/** Left-aligned columns, two spaces apart; trailing blanks trimmed. */
export function table(rows: string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((row) =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd(),
  );
}

type PlanInput = Pick<RolloutInput, 'regions' | 'strategy' | 'stages' | 'timeScale' | 'delayBetweenRegionsMinutes'>;

/** Expected total per strategy, the chosen one first: "delayed: about 5.9 h (354 min)". */
export function strategyTotals(input: PlanInput): { strategy: Strategy; totalMinutes: number }[] {
  const order: Strategy[] = [input.strategy, ...(Object.keys(STRATEGY_RULES) as Strategy[]).filter((s) => s !== input.strategy)];
  return order.map((strategy) => {
    const delay = rulesOf(strategy).observes ? (input.delayBetweenRegionsMinutes ?? DEFAULT_DELAY_MINUTES) : undefined;
    return { strategy, totalMinutes: planRollout({ ...input, strategy, delayBetweenRegionsMinutes: delay }).totalMinutes };
  });
}

const totalLine = (t: { strategy: Strategy; totalMinutes: number }) => {
  const about = aboutDuration(t.totalMinutes);
  return `${t.strategy}: ${about}${about.endsWith(' h') ? ` (${Math.round(t.totalMinutes)} min)` : ''}`;
};

export function renderPlan(input: PlanInput): string[] {
  const plan: Plan = planRollout(input);
  const order = rulesOf(input.strategy).concurrent ? `${input.regions.join(' + ')} at once` : input.regions.join(' → ');
  const lines = [
    `Plan: ${input.strategy} rollout, ${order}${input.timeScale !== 1 ? ` (timeScale ${input.timeScale}: every wait shrunk)` : ''}`,
  ];
  // One table for every region, so the columns line up across regions.
  const rows = table(plan.steps.map((s) => [`  ${offset(s.startMinute)}`, span(s.minutes), s.step]));
  for (const region of input.regions) {
    lines.push('', region, ...rows.filter((_, i) => plan.steps[i]!.region === region));
  }
  const [chosen, ...others] = strategyTotals(input);
  lines.push('', `Expected total — ${totalLine(chosen!)}`, `Other strategies — ${others.map(totalLine).join(' · ')}`);
  return lines;
}

/** The candidate's last reading, named by its colour when known ("blue: err 0.10% p95 120 ms"). */
function metricsText(m: Metrics | undefined, candidate?: Colour): string {
  if (!m) return '';
  const extra = [
    m.cpuPct !== undefined ? `cpu ${m.cpuPct.toFixed(0)}%` : '',
    m.memoryPct !== undefined ? `mem ${m.memoryPct.toFixed(0)}%` : '',
  ].filter(Boolean);
  return [candidate ? `${candidate}:` : '', `err ${m.errorRatePct.toFixed(2)}%`, `p95 ${Math.round(m.latencyP95Ms)} ms`, ...extra]
    .filter(Boolean)
    .join(' ');
}

const weightsText = (w: TrafficWeights | undefined, candidate?: Colour) => (w ? splitText(w, candidate) : '');

function regionNote(r: RegionView): string {
  if (r.approvals?.pending.length && r.phase === 'awaiting_approval') return `awaiting approval: ${r.approvals.pending.join(', ')}`;
  return r.reason ?? '';
}

function regionRow(r: RegionView): string[] {
  const phase = `${r.phase}${r.paused ? ' (paused)' : ''}`;
  const stage = r.stage ?? (r.stageReached ? `reached ${r.stageReached}%` : '');
  return [`  ${r.region}`, phase, stage, weightsText(r.weights, r.candidate), metricsText(r.lastMetrics, r.candidate), regionNote(r)];
}

export function renderStatus(v: RolloutView): string[] {
  const flags = [v.paused ? 'PAUSED' : '', v.abortReason ? `aborting: ${v.abortReason}` : '', v.cancelled ? 'cancelled' : ''].filter(
    Boolean,
  );
  const flagged = flags.length ? ` · ${flags.join(' · ')}` : '';
  const lines = [`${v.service} ${v.version} · ${v.strategy} · ${v.state.toLowerCase()}${flagged}  (${v.workflowId})`];
  lines.push(...table(v.regions.map(regionRow)));
  for (const r of v.regions) {
    if (r.pauseReason) lines.push(`  ${r.region} paused: ${r.pauseReason}`);
    if (r.outOfService?.length) lines.push(`  ${r.region} out of service: ${hostsText(r.outOfService)}`);
    if (r.verdict && r.phase !== 'succeeded') lines.push(`  ${r.region} judge at ${r.verdict.phase}: ${r.verdict.text}`);
  }
  if (v.outcome) lines.push(`outcome: ${v.outcome}`);
  if (v.failure) lines.push(`failed: ${v.failure}`);
  return lines;
}

export function renderResult(service: string, result: RolloutResult): string[] {
  const rows = Object.entries(result.regions).map(([region, r]: [string, RegionResult]) => [
    `  ${region}`,
    r.outcome,
    `reached ${r.stageReached}%`,
    r.liveColour ? `live ${r.liveColour}` : '',
    metricsText(r.lastMetrics, r.candidate),
    [r.reason, r.rollbackError ? 'ROLLBACK INCOMPLETE: needs a person now' : ''].filter(Boolean).join(' — '),
  ]);
  return [`${service}: ${result.outcome}`, ...table(rows)];
}

/** "succeeded", or "succeeded (drill)" / "succeeded (dry run)" for runs that are not on record. */
const outcomeCell = (i: RolloutSummary) =>
  i.state === 'RUNNING'
    ? 'running'
    : `${i.outcome ?? i.state.toLowerCase()}${i.kind && i.kind !== 'rollout' ? ` (${i.kind.replace('_', ' ')})` : ''}`;

export function renderList(items: RolloutSummary[]): string[] {
  if (!items.length) return ['no rollouts found'];
  const rows = items.map((i) => [
    i.startTime.toISOString().slice(0, 16).replace('T', ' '),
    i.service ?? '?',
    i.version ?? '?',
    i.strategy ?? '?',
    outcomeCell(i),
    i.workflowId,
  ]);
  return table([['STARTED (UTC)', 'SERVICE', 'VERSION', 'STRATEGY', 'OUTCOME', 'WORKFLOW'], ...rows]);
}

export function renderCompare(view: RolloutView, regions: RegionComparison[]): string[] {
  const rows = regions.map((r) => [
    r.region,
    r.phase,
    r.serving === 'new' ? r.version : `previous (not ${r.version})`,
    r.liveColour ?? '?',
    weightsText(r.weights, r.candidate) || '?',
    r.lastMetrics ? `${r.lastMetrics.errorRatePct.toFixed(2)}%` : '-',
    r.lastMetrics ? `${Math.round(r.lastMetrics.latencyP95Ms)} ms` : '-',
    r.lastMetrics?.cpuPct !== undefined ? `${r.lastMetrics.cpuPct.toFixed(0)}%` : '-',
    r.lastMetrics?.memoryPct !== undefined ? `${r.lastMetrics.memoryPct.toFixed(0)}%` : '-',
  ]);
  return [
    `${view.service} ${view.version} (${view.strategy}, ${view.outcome ?? view.state.toLowerCase()})`,
    ...table([['REGION', 'PHASE', 'VERSION', 'LIVE', 'WEIGHTS', 'ERRORS', 'P95', 'CPU', 'MEM'], ...rows]),
  ];
}

/**
 * One redraw of a live view on a terminal: move up over the previous frame, rewrite each line
 * (clearing its tail), clear anything left below. Lines are cut to the width so none wraps.
 */
export function redraw(previousLineCount: number, lines: string[], columns = 120): string {
  const up = previousLineCount > 0 ? `\x1b[${previousLineCount}A\r` : '';
  return `${up}${lines.map((l) => `${l.slice(0, Math.max(1, columns - 1))}\x1b[K\n`).join('')}\x1b[J`;
}

/** For a log (not a terminal): the lines of this frame that were not in the previous one. */
export function changedLines(previous: string[], lines: string[]): string[] {
  const seen = new Set(previous);
  return lines.filter((l) => !seen.has(l));
}
