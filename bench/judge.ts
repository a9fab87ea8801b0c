// `npm run bench -- judge [--json] [--canaries N] [--seed S]`: the static gate (today's rule) and
// the sequential judge on identical seeded request streams, 1,000 simulated canaries per cell.
import { DEFAULT_JUDGE_CONFIG, type JudgeConfig } from '../domain/judge.js';
import { PERIODS, SCENARIOS, simulateCanary, type CanaryOutcome } from './simulate-canary.js';

export const RPMS = [20, 200, 2000] as const;
const JUDGES = ['static', 'sequential'] as const;

export interface Cell {
  scenario: string;
  rpm: number;
  judge: (typeof JUDGES)[number];
  rollbackPct: number;
  detectedFirstTwoStagesPct: number;
  /** null when no canary rolled back. */
  medianDetectSeconds: number | null;
  inconclusivePct: number;
}

function option(args: string[], name: string, fallback: number): number {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} needs a positive integer`);
  return value;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const pct = (n: number, of: number) => Math.round((1000 * n) / of) / 10;

export function summarise(scenario: string, rpm: number, judge: Cell['judge'], outcomes: CanaryOutcome[]): Cell {
  const rolledBack = outcomes.filter((o) => o.rolledBack);
  return {
    scenario,
    rpm,
    judge,
    rollbackPct: pct(rolledBack.length, outcomes.length),
    detectedFirstTwoStagesPct: pct(rolledBack.filter((o) => o.period! < 2).length, outcomes.length),
    medianDetectSeconds: median(rolledBack.map((o) => o.detectSeconds!)),
    inconclusivePct: pct(outcomes.filter((o) => o.inconclusive).length, outcomes.length),
  };
}

export async function run(args: string[]): Promise<{ table: string; json: unknown }> {
  const canaries = option(args, '--canaries', 1000);
  const seed = option(args, '--seed', 13);
  const configs: Record<Cell['judge'], JudgeConfig> = { static: { ...DEFAULT_JUDGE_CONFIG, kind: 'static' }, sequential: DEFAULT_JUDGE_CONFIG };
  const cells: Cell[] = [];
  for (const [s, scenario] of SCENARIOS.entries()) {
    for (const rpm of RPMS) {
      for (const judge of JUDGES) {
        // The same seeds for both judges: common request streams.
        const outcomes = Array.from({ length: canaries }, (_, i) => simulateCanary(scenario, rpm, seed * 1_000_003 + s * 100_000 + rpm * 7 + i * 7919, configs[judge]));
        cells.push(summarise(scenario.name, rpm, judge, outcomes));
      }
    }
  }
  return { table: render(cells, canaries), json: { cells } };
}

function render(cells: Cell[], canaries: number): string {
  const d = DEFAULT_JUDGE_CONFIG;
  const head = `judge bench: ${canaries} canaries per cell; stages ${PERIODS.map((p) => `${p.weightPct}%/${p.seconds / 60}m`).join(' → ')} (last = final validation)`;
  const conf = `sequential: alpha ${d.alpha}, tolerance ${d.tolerance}, floor ${d.floorPct} %, minRequests ${d.minRequests}, onInconclusive ${d.onInconclusive}, maxExtension ${d.maxExtension}×`;
  const cols = ['scenario', 'rpm', 'judge', 'rollback %', 'first 2 stages %', 'median detect s', 'inconclusive %'];
  const rows = cells.map((c) => [c.scenario, String(c.rpm), c.judge, c.rollbackPct.toFixed(1), c.detectedFirstTwoStagesPct.toFixed(1), c.medianDetectSeconds === null ? '–' : String(Math.round(c.medianDetectSeconds)), c.inconclusivePct.toFixed(1)]);
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [head, conf, '', line(cols), line(cols.map(() => '---')), ...rows.map(line)].join('\n');
}
