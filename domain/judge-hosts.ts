// A candidate host far worse than its siblings. The colour's counts add its hosts up, so errors
// concentrated on one host of ten show as a tenth of their rate and may pass every gate: a bad disk,
// a missed config file, a host on a sick rack. The balancer counts each server's responses, so the
// judge also asks of every candidate host whether its share of the colour's errors is above
// OUTLIER_RATIO × its share of the colour's requests: the same betting e-process as the colour's
// regression (judge-eprocess.ts betShare), with the host's siblings as its baseline. A host that
// crosses is taken out of the balancer and reported; the colour goes on with the others.
//
// α: the judge's α over the colour's hosts (Bonferroni), a budget apart from the rollback's: taking
// a good host out costs capacity, never the release.
import { advance, type ColourCounts } from './judge-counts.js';
import { betShare, freshBets, mixtureE } from './judge-eprocess.js';
import { fmtCount, fmtPct, type HostOutlier } from './judge-evidence.js';

/** "Far worse": a host whose errors are within this multiple of its siblings' rate is a host like them. */
export const OUTLIER_RATIO = 3;

/** One host's requests (responses it sent, and the balancer's failures for it) and errors among them. */
export type HostCounts = Pick<ColourCounts, 'requests' | 'errors'>;

/** The judge's view of the candidate's hosts in a region. */
export interface HostsState {
  /**
   * Each host's highest counts since the period began, as of the last poll with a new host error
   * (a new watch of the period reads from its start again).
   */
  seen: Record<string, HostCounts>;
  /** `seen` when the last host was taken out in this period: the split of requests changed there. */
  splitFrom: Record<string, HostCounts>;
  /** Each host's log-wealths, across the region's periods. */
  bets: Record<string, readonly number[]>;
  /** Hosts taken out in this region: judged no more. */
  out: string[];
}

export const NO_HOSTS: HostsState = { seen: {}, splitFrom: {}, bets: {}, out: [] };

/** A new period: counts start again, the evidence carries on. */
export const hostsAtPeriodStart = (s: HostsState): HostsState => ({ ...s, seen: {}, splitFrom: {} });

const NONE: HostCounts = { requests: 0, errors: 0 };
const minus = (a: HostCounts, b: HostCounts = NONE): HostCounts => ({ requests: a.requests - b.requests, errors: a.errors - b.errors });

/**
 * One poll's counts per candidate host since the period began → the next state and the worst host
 * past its bound, if any. Fewer than two hosts in play: nothing to compare.
 */
export function judgeHosts(
  state: HostsState,
  cumulative: Record<string, HostCounts>,
  alpha: number,
): { state: HostsState; outlier?: HostOutlier } {
  const hosts = Object.keys(cumulative).filter((h) => !state.out.includes(h));
  if (hosts.length < 2) return { state };
  // Most polls bring no new host error, and such a poll moves no bet (betShare returns the bets as
  // they are): the state stays as it is, and the next poll with errors reads the counts since the
  // period began, so nothing is lost. The judge runs every poll of every period: keep this path cheap.
  if (!hosts.some((h) => cumulative[h]!.errors > (state.seen[h]?.errors ?? 0))) return { state };
  const seen = { ...state.seen };
  const added: Record<string, HostCounts> = {};
  for (const h of hosts) {
    const step = advance({ ...(state.seen[h] ?? NONE), slow: 0 }, { ...cumulative[h]!, slow: 0 });
    seen[h] = { requests: step.seen.requests, errors: step.seen.errors };
    added[h] = { requests: step.added.requests, errors: step.added.errors };
  }
  // The period's split so far (since the last host went out): the balancer's weights are fixed within it.
  const split = Object.fromEntries(hosts.map((h) => [h, minus(seen[h]!, state.splitFrom[h])]));
  const pollErrors = hosts.reduce((a, h) => a + added[h]!.errors, 0);
  const requests = hosts.reduce((a, h) => a + split[h]!.requests, 0);
  const bets = { ...state.bets };
  for (const h of hosts) {
    const x = added[h]!.errors;
    const own = split[h]!.requests;
    bets[h] = betShare(bets[h] ?? freshBets(), x, pollErrors - x, own, requests - own, OUTLIER_RATIO);
  }
  const next: HostsState = { ...state, seen, bets };
  const bound = hosts.length / alpha;
  const worst = hosts.map((h) => ({ h, e: mixtureE(bets[h]!) })).reduce((a, b) => (b.e > a.e ? b : a));
  if (worst.e < bound) return { state: next };
  return {
    state: { ...next, splitFrom: seen, out: [...state.out, worst.h] },
    outlier: { host: worst.h, reason: outlierText(worst.h, split, worst.e, bound) },
  };
}

/** "errors 41 / 310 — 13.23 % vs its 2 siblings 3 / 640 — 0.47 %, evidence 1,204 > 200". */
function outlierText(host: string, counts: Record<string, HostCounts>, e: number, bound: number): string {
  const own = counts[host]!;
  const siblings = Object.keys(counts).filter((h) => h !== host);
  const errors = siblings.reduce((a, h) => a + counts[h]!.errors, 0);
  const requests = siblings.reduce((a, h) => a + counts[h]!.requests, 0);
  return (
    `errors ${fmtCount(own.errors)} / ${fmtCount(own.requests)} — ${fmtPct(own.errors, own.requests)} ` +
    `vs its ${siblings.length} sibling${siblings.length > 1 ? 's' : ''} ${fmtCount(errors)} / ${fmtCount(requests)} — ` +
    `${fmtPct(errors, requests)}, over ${OUTLIER_RATIO}× theirs with evidence ${fmtCount(Math.min(e, 1e15))} > ${fmtCount(bound)}`
  );
}
