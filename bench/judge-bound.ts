// `npm run bench -- judge-bound [--json] [--canaries N] [--seed S]`: how often ANY test could catch
// the bench's bursty-moderate regression (green 1 % errors vs blue 0.2 %, errors in bursts of mean
// 3, 2,000 requests/min) in the first two stages. An oracle far stronger than a real judge: it sees
// every burst as one event (no scrape, no split of a burst across polls), knows both colours' true
// rates, and takes one fixed-sample likelihood-ratio test (no sequential looks) at the whole α, its
// threshold the null's own (1 − α) quantile. What it cannot reach, no judge can.
import { DEFAULT_JUDGE_CONFIG } from '../domain/judge-defaults.js';
import { DEFAULT_STAGES } from '../domain/rollout-input.js';
import { poisson, Rng } from './random.js';

const RPM = 2000;
const STABLE_RATE = 0.002;
const CANDIDATE_RATE = 0.01;
const BURST_MEAN = 3;
/** Minutes of the 10 % and 25 % stages: as planned, the second one extended, both extended (maxExtension). */
const plans = (x: number): [string, number[]][] => {
  const [a, b] = DEFAULT_STAGES.map((s) => s.durationMinutes);
  return [
    ['as planned', [a!, b!]],
    [`25 % stage ${x}×`, [a!, x * b!]],
    [`both ${x}×`, [x * a!, x * b!]],
  ];
};

/** Bursts per minute of a colour at a weight: requests × error rate / mean burst size. */
const bursts = (weightPct: number, rate: number) => (RPM * weightPct * rate) / 100 / BURST_MEAN;

/** The oracle's log-likelihood ratio of one canary whose candidate errs at `rate`, over the two stages. */
function llr(rng: Rng, minutes: number[], rate: number, tolerance: number): number {
  let total = 0;
  minutes.forEach((m, i) => {
    const w = DEFAULT_STAGES[i]!.weightPct;
    // The share of bursts that are the candidate's: under the null (rate = (1 + tolerance) × stable) and as it is.
    const share = (r: number) => bursts(w, r) / (bursts(w, r) + bursts(100 - w, STABLE_RATE));
    const p0 = share((1 + tolerance) * STABLE_RATE);
    const q = share(CANDIDATE_RATE);
    const g = poisson(rng, bursts(w, rate) * m);
    const b = poisson(rng, bursts(100 - w, STABLE_RATE) * m);
    total += g * Math.log(q / p0) + b * Math.log((1 - q) / (1 - p0));
  });
  return total;
}

const option = (args: string[], name: string, fallback: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : fallback);

export async function run(args: string[]): Promise<{ table: string; json: unknown }> {
  const canaries = option(args, '--canaries', 20_000);
  const seed = option(args, '--seed', 13);
  const { alpha, tolerance, maxExtension } = DEFAULT_JUDGE_CONFIG;
  const rng = new Rng(seed);
  const rows = plans(maxExtension).map(([plan, minutes]) => {
    const nullRuns = Array.from({ length: 10 * canaries }, () => llr(rng, minutes, (1 + tolerance) * STABLE_RATE, tolerance)).sort(
      (a, b) => a - b,
    );
    const threshold = nullRuns[Math.ceil((1 - alpha) * nullRuns.length)]!;
    const caught = Array.from({ length: canaries }, () => llr(rng, minutes, CANDIDATE_RATE, tolerance)).filter((x) => x > threshold);
    return { plan, minutes, detectedPct: Math.round((1000 * caught.length) / canaries) / 10 };
  });
  const head = `oracle bound, bursty-moderate at ${RPM} rpm, alpha ${alpha}, tolerance ${tolerance}, ${canaries} canaries per row`;
  const lines = rows.map((r) => `| ${r.plan} | ${r.minutes.join(' + ')} min | ${r.detectedPct.toFixed(1)} |`);
  const table = [head, '', '| stages 10 % and 25 % | minutes | detected % |', '| --- | --- | --- |', ...lines].join('\n');
  return { table, json: { scenario: 'bursty-moderate', rpm: RPM, alpha, canaries, rows } };
}
