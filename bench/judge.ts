// `npm run bench -- judge [--json] [--canaries N] [--seed S] [--alpha A] [--tolerance T] [--only name,…]`:
// the static gate (the original rule) and the sequential judge on the same seeded production-shaped
// canaries (bench/scenarios.ts), 2,000 per cell by default, each cell run in jobs of 250 canaries spread over the cores.
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DEFAULT_JUDGE_CONFIG } from '../domain/judge-defaults.js';
import type { JudgeConfig } from '../domain/judge.js';
import { SCENARIOS } from './scenarios.js';
import { PERIODS, POLL_SECONDS, simulateCanary, type CanaryOutcome, type Scenario } from './simulate-canary.js';

const JUDGES = ['static', 'sequential'] as const;

export interface Cell {
  scenario: string;
  rpm: number;
  judge: (typeof JUDGES)[number];
  canaries: number;
  rollbackPct: number;
  detectedFirstTwoStagesPct: number;
  /** From the fault's start (or the first stage's), over rollbacks at or after it; null when there were none. */
  medianDetectSeconds: number | null;
  p90DetectSeconds: number | null;
  /** Caught within the scenario's deadline (regressions with one). */
  inTimePct: number | null;
  inconclusivePct: number;
  metricsUnavailablePct: number;
  /** Canaries with a period run past its planned end (too few requests, or suspect evidence). */
  extendedPct: number;
  /** Canaries where a candidate instance was judged far worse than its siblings (taken out, in production). */
  hostOutPct: number;
}

/** Canaries `from` (inclusive) to `to` of one cell: a cell runs as several jobs, so both threads finish together. */
interface Job {
  scenario: string;
  rpm: number;
  judge: Cell['judge'];
  from: number;
  to: number;
  seed: number;
  config: JudgeConfig;
}

/** Canaries per job: small enough that the last job leaves little idle time, large enough to cost nothing to send. */
const CHUNK = 250;

function option(args: string[], name: string, fallback: number, integer = true): number {
  const i = args.indexOf(name);
  const value = i >= 0 ? Number(args[i + 1]) : fallback;
  if (!(value > 0) || (integer && !Number.isInteger(value))) throw new Error(`${name} needs a positive ${integer ? 'integer' : 'number'}`);
  return value;
}

function quantile(xs: number[], q: number): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

const pct = (n: number, of: number) => Math.round((1000 * n) / of) / 10;

function inTime(s: Scenario, o: CanaryOutcome): boolean {
  if (!o.rolledBack || !s.deadline) return false;
  return 'seconds' in s.deadline ? o.detectSeconds! <= s.deadline.seconds : o.period! < s.deadline.beforePeriod;
}

export function summarise(s: Scenario, rpm: number, judge: Cell['judge'], outcomes: CanaryOutcome[]): Cell {
  const rolledBack = outcomes.filter((o) => o.rolledBack);
  // Detection times count rollbacks at or after the fault; one before it was a false rollback.
  const detect = rolledBack.map((o) => o.detectSeconds!).filter((s) => s >= 0);
  return {
    scenario: s.name,
    rpm,
    judge,
    canaries: outcomes.length,
    rollbackPct: pct(rolledBack.length, outcomes.length),
    detectedFirstTwoStagesPct: pct(rolledBack.filter((o) => o.period! < 2).length, outcomes.length),
    medianDetectSeconds: quantile(detect, 0.5),
    p90DetectSeconds: quantile(detect, 0.9),
    inTimePct: s.deadline ? pct(outcomes.filter((o) => inTime(s, o)).length, outcomes.length) : null,
    inconclusivePct: pct(outcomes.filter((o) => o.inconclusive).length, outcomes.length),
    metricsUnavailablePct: pct(outcomes.filter((o) => o.metricsUnavailable).length, outcomes.length),
    extendedPct: pct(outcomes.filter((o) => o.extended).length, outcomes.length),
    hostOutPct: pct(outcomes.filter((o) => o.hostOut).length, outcomes.length),
  };
}

/** Some canaries of a cell: each seeded by its index, so a cell's outcomes do not depend on how it is split. */
export function runJob(job: Job): CanaryOutcome[] {
  const s = SCENARIOS.find((x) => x.name === job.scenario)!;
  const index = SCENARIOS.indexOf(s);
  return Array.from({ length: job.to - job.from }, (_, k) => {
    const i = job.from + k;
    return simulateCanary(s, job.rpm, job.seed * 1_000_003 + index * 100_000 + job.rpm * 7 + i * 7919, job.config);
  });
}

/** Jobs spread over worker threads, each taking the next job when it is free. */
async function runAll(jobs: Job[]): Promise<CanaryOutcome[][]> {
  const results: CanaryOutcome[][] = new Array(jobs.length);
  let next = 0;
  const threads = Math.max(1, Math.min(availableParallelism(), jobs.length));
  await Promise.all(
    Array.from({ length: threads }, async () => {
      // The worker registers tsx's loader itself: a worker does not inherit the main thread's.
      const entry = JSON.stringify(new URL('./judge-worker.ts', import.meta.url).href);
      const worker = new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); });`, { eval: true });
      try {
        for (let i = next++; i < jobs.length; i = next++) {
          results[i] = await new Promise<CanaryOutcome[]>((resolve, reject) => {
            worker.once('message', resolve);
            worker.once('error', reject);
            worker.postMessage(jobs[i]);
          });
          worker.removeAllListeners('error');
        }
      } finally {
        await worker.terminate();
      }
    }),
  );
  return results;
}

export async function run(args: string[]): Promise<{ table: string; json: unknown }> {
  const canaries = option(args, '--canaries', 2000);
  const seed = option(args, '--seed', 13);
  const sequential: JudgeConfig = {
    ...DEFAULT_JUDGE_CONFIG,
    alpha: option(args, '--alpha', DEFAULT_JUDGE_CONFIG.alpha, false),
    tolerance: option(args, '--tolerance', DEFAULT_JUDGE_CONFIG.tolerance, false),
  };
  const configs: Record<Cell['judge'], JudgeConfig> = { static: { ...DEFAULT_JUDGE_CONFIG, kind: 'static' }, sequential };
  const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.split(',') : undefined;
  const judges = args.includes('--judge') ? [args[args.indexOf('--judge') + 1] as Cell['judge']] : JUDGES;
  const scenarios = SCENARIOS.filter((s) => (only ? only.includes(s.name) : !s.named));
  const cellsToRun = scenarios.flatMap((s) => s.rpms.flatMap((rpm) => judges.map((judge) => ({ s, rpm, judge }))));
  const jobs = cellsToRun.flatMap(({ s, rpm, judge }, cell) =>
    Array.from({ length: Math.ceil(canaries / CHUNK) }, (_, k) => ({
      cell,
      job: { scenario: s.name, rpm, judge, from: k * CHUNK, to: Math.min(canaries, (k + 1) * CHUNK), seed, config: configs[judge] },
    })),
  );
  // The longest jobs first (sequential, healthy, busy: every poll of the hour), so no thread idles at the end.
  const cost = ({ job: j }: (typeof jobs)[number]) =>
    (j.judge === 'sequential' ? 4 : 1) * (SCENARIOS.find((s) => s.name === j.scenario)!.regression ? 1 : 2) * Math.log10(j.rpm);
  const order = [...jobs].sort((a, b) => cost(b) - cost(a));
  const done = await runAll(order.map((x) => x.job));
  const outcomes: CanaryOutcome[][] = cellsToRun.map(() => []);
  order.forEach((x, k) => outcomes[x.cell]!.push(...done[k]!));
  const cells = cellsToRun.map(({ s, rpm, judge }, i) => summarise(s, rpm, judge, outcomes[i]!));
  return { table: render(cells, canaries, sequential), json: { cells } };
}

function render(cells: Cell[], canaries: number, c: JudgeConfig): string {
  const stages = PERIODS.map((p) => `${p.weightPct}%/${p.seconds / 60}m`).join(' → ');
  const head = `judge bench: ${canaries} canaries per cell; stages ${stages} (last = final validation); polls every ${POLL_SECONDS} s`;
  const conf =
    `sequential: alpha ${c.alpha}, tolerance ${c.tolerance}, floor ${c.floorPct} %, minRequests ${c.minRequests}, ` +
    `onInconclusive ${c.onInconclusive}, maxExtension ${c.maxExtension}×, baseline ${c.baselineMinutes} min`;
  const cols = [
    'scenario',
    'rpm',
    'judge',
    'rollback %',
    'first 2 stages %',
    'in time %',
    'median detect s',
    'p90 detect s',
    'inconclusive %',
    'metrics unavailable %',
    'extended %',
    'host out %',
  ];
  const n = (x: number | null) => (x === null ? '–' : String(Math.round(x)));
  const rows = cells.map((x) => [
    x.scenario,
    String(x.rpm),
    x.judge,
    x.rollbackPct.toFixed(1),
    x.detectedFirstTwoStagesPct.toFixed(1),
    x.inTimePct === null ? '–' : x.inTimePct.toFixed(1),
    n(x.medianDetectSeconds),
    n(x.p90DetectSeconds),
    x.inconclusivePct.toFixed(1),
    x.metricsUnavailablePct.toFixed(1),
    x.extendedPct.toFixed(1),
    x.hostOutPct.toFixed(1),
  ]);
  const line = (r: string[]) => `| ${r.join(' | ')} |`;
  return [head, conf, '', line(cols), line(cols.map(() => '---')), ...rows.map(line)].join('\n');
}
