// What every verdict carries: the counts of both colours, the statistic and its bound, which test
// decided, and one line a person reads on a card, naming each colour by its real name, the
// candidate first ("blue 14 errors / 1,000 vs green 18 / 9,000 — 1.40 % vs 0.20 %, evidence 310 > 167"
// when blue is the candidate).
import type { Breach, BreachMetric, Colour } from './metrics.js';
import type { ColourCounts } from './judge-counts.js';

/** Which test decided (or, without a breach, which one came nearest its bound). */
export type JudgeTest =
  | 'error_rate_sequential' // green's error rate vs blue's, with tolerance and floor
  | 'latency_sequential' // green's share of slow requests vs blue's
  | 'error_rate_limit' // the stage's error limit, with confidence
  | 'latency_limit' // the stage's latency limit (p95 ≤ limit: at most 5 % slow), with confidence
  | 'error_rate_baseline' // without live stable traffic: the stable colour's rate before the rollout and in earlier stages
  | 'latency_baseline' // the same on the share of slow requests
  | 'server_down' // a candidate server down by the balancer's health check
  | 'resource' // CPU or memory from the reading, as today
  | 'static'; // today's rule: one rate-window reading against the limits

/** A candidate host far worse than its siblings (domain/judge-hosts.ts), and the evidence line that says why. */
export interface HostOutlier {
  host: string;
  reason: string;
}

export interface JudgeEvidence {
  test: JudgeTest;
  metric: Exclude<BreachMetric, 'metrics_unavailable'>;
  /** Counts shown: since the region's first period for the error regression, this period's otherwise; the candidate's… */
  green?: ColourCounts;
  /** …and the stable colour's (the fields keep their historical names: real colours are in the text). */
  blue?: ColourCounts;
  /** An e-value (sequential) or the reading (static, resource). */
  statistic: number;
  /** The statistic breaches at (e-value) or above (reading) this. */
  bound: number;
  text: string;
}

const LABEL: Record<JudgeTest, string> = {
  error_rate_sequential: 'error rate regression',
  latency_sequential: 'latency regression',
  error_rate_limit: 'error rate above the limit',
  latency_limit: 'latency above the limit',
  error_rate_baseline: 'error rate above the stable baseline',
  latency_baseline: 'latency above the stable baseline',
  server_down: 'candidate server down',
  resource: 'resources',
  static: 'static gate',
};

/** 1234.4 → "1,234" (no Intl: the text is also built inside workflows). */
export function fmtCount(n: number): string {
  const digits = String(Math.round(Math.abs(n)));
  let out = '';
  for (let i = 0; i < digits.length; i++) out += (i && (digits.length - i) % 3 === 0 ? ',' : '') + digits[i];
  return n < -0.5 ? `-${out}` : out;
}

export const fmtPct = (part: number, whole: number): string => (whole > 0 ? `${((100 * part) / whole).toFixed(2)} %` : 'n/a');

/** An e-value: 4.2, 310, 12,500, 3.1e9. */
function fmtE(e: number): string {
  if (!(e < 1e300)) return '∞';
  if (e >= 1e6) return e.toExponential(1).replace('e+', 'e');
  return e < 10 ? e.toFixed(1) : fmtCount(e);
}

/** JSON has no Infinity (state and evidence go into heartbeats and queries): cap it. */
const finite = (n: number): number => Math.min(n, 1e300);

export interface CountTest {
  test: Exclude<JudgeTest, 'resource' | 'static' | 'server_down'>;
  /** The candidate's and the stable colour's counts, and their real colours. */
  green: ColourCounts;
  blue: ColourCounts;
  names: { candidate: Colour; stable: Colour };
  /** The stable colour takes live traffic in this period. */
  live: boolean;
  e: number;
  bound: number;
  /** The limit the hard-limit tests compare with, in % (errors) and ms (latency). */
  limit: { errorPct: number; latencyMs: number };
  /** The baseline tests' allowed rates, in %. */
  baseline?: { errorPct: number; slowPct: number };
}

/** The evidence line of a count test. */
export function countEvidence(t: CountTest): JudgeEvidence {
  // Written when first read (a card, a heartbeat, the status): the watch judges every poll.
  let text: string | undefined;
  return {
    test: t.test,
    metric: t.test.startsWith('error') ? 'error_rate' : 'latency',
    green: t.green,
    blue: t.blue,
    statistic: finite(t.e),
    bound: finite(t.bound),
    get text() {
      return (text ??= countText(t));
    },
  };
}

function countText(t: CountTest): string {
  const errors = t.test.startsWith('error');
  const field = errors ? 'errors' : 'slow';
  const what = errors ? 'errors' : `slow (> ${fmtCount(t.limit.latencyMs)} ms)`;
  const g = t.green;
  const b = t.blue;
  const { candidate, stable } = t.names;
  const blueShown = t.live && b.requests > 0;
  let text = blueShown
    ? `${candidate} ${fmtCount(g[field])} ${what} / ${fmtCount(g.requests)} vs ${stable} ${fmtCount(b[field])} / ${fmtCount(b.requests)}` +
      ` — ${fmtPct(g[field], g.requests)} vs ${fmtPct(b[field], b.requests)}`
    : `${candidate} ${fmtCount(g[field])} ${what} / ${fmtCount(g.requests)} — ${fmtPct(g[field], g.requests)}`;
  if (t.test === 'error_rate_limit') text += ` against the ${t.limit.errorPct.toFixed(2)} % limit`;
  if (t.test === 'latency_limit') text += ` against 5 % allowed (p95 ≤ ${fmtCount(t.limit.latencyMs)} ms)`;
  if (t.test === 'error_rate_baseline') text += ` against ${t.baseline!.errorPct.toFixed(2)} % allowed by ${stable} before`;
  if (t.test === 'latency_baseline') text += ` against ${t.baseline!.slowPct.toFixed(2)} % allowed by ${stable} before`;
  return `${text}, evidence ${fmtE(t.e)} ${t.e >= t.bound ? '>' : '<'} ${fmtE(t.bound)}`;
}

/** The breach a workflow rolls back on, with the evidence line as its cause. */
export function breachOf(evidence: JudgeEvidence, phase: string, value?: number, threshold?: number): Breach {
  return {
    metric: evidence.metric,
    phase,
    ...(value !== undefined ? { value } : {}),
    ...(threshold !== undefined ? { threshold } : {}),
    cause: `${LABEL[evidence.test]} at ${phase}: ${evidence.text}`,
  };
}

type JudgeStatus = 'healthy' | 'breach' | 'inconclusive';

export interface JudgeVerdict {
  status: JudgeStatus;
  phase: string;
  /** The deciding test's evidence; without a breach, the test nearest its bound. */
  evidence: JudgeEvidence;
  /** With status 'breach': what the workflow rolls back on (cause = the evidence line). */
  breach?: Breach;
  /** With status 'inconclusive': what is missing. */
  reason?: string;
  /**
   * With status 'healthy': the deciding test's evidence is past halfway (in log) to its bound, so
   * the period is extended before the candidate takes more traffic. A good candidate gets there
   * with probability at most 1 / √bound (Ville), and an extension spends no α: it is one more look.
   */
  suspect?: boolean;
  /** Without a breach: a candidate host far worse than its siblings, to take out of the balancer. */
  outlier?: HostOutlier;
}
