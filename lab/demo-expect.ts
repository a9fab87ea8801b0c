// What the demo expects for the chosen fault, and how it checks and summarises what happened.
import { otherColour, type BreachMetric, type Colour } from '../domain/metrics.js';
import { hostsText } from '../domain/fleet.js';
import type { RegionOutcome, RegionResult, RolloutResult } from '../domain/outcome.js';
import type { FaultInjection, ReleaseFaults } from './fault-agent.js';
import { BROKEN_HOSTS, FAULT_VALUES, isReleaseFault, type FaultChoice, type ReleaseFault } from './demo-args.js';
import type { CardLine, ProgressView } from './progress.js';
import type { WeightChange } from './watch.js';

const BREACH_METRIC: Record<ReleaseFault, BreachMetric> = {
  'error-rate': 'error_rate',
  latency: 'latency',
  subtle: 'error_rate',
};
/**
 * What the rollback card must say: the breached metric; for the subtle regression, the judge's
 * evidence (the candidate against the stable colour).
 */
const BREACH_WORDS: Record<ReleaseFault, (candidate: Colour) => RegExp> = {
  'error-rate': () => /error rate/,
  latency: () => /latency/,
  subtle: (c) => new RegExp(`error rate .*${c} [\\d,]+ errors / [\\d,]+.*evidence`),
};

/** The colour the region deployed to: green in a fresh lab, blue when green was live before. */
const candidateOf = (r: RegionResult | undefined): Colour => r?.candidate ?? 'green';

export interface DemoResult {
  ok: boolean;
  /** Why the run did not go as designed (empty when ok). */
  mismatches: string[];
  fault: { kind: FaultChoice; region?: string };
  expected: Record<string, RegionOutcome>;
  workflowId: string;
  webUi: string;
  timeScale: number;
  checkIntervalSeconds: number;
  result?: RolloutResult;
  /** Read from each HAProxy's runtime API after the rollout. */
  haproxyWeights: Record<string, Record<Colour, number>>;
  /** With --hosts 2 or more: each HAProxy server's weight by name (`blue-1`… `green-3`) after the rollout. */
  serverWeights: Record<string, Record<string, number>>;
  cards: CardLine[];
  /** Each HAProxy's weights over the run, as polled from its runtime API. */
  weightChanges: Record<string, WeightChange[]>;
  faults: FaultInjection[];
  timings: {
    labReadyMs?: number;
    rolloutMs?: number;
    totalMs?: number;
    /** Fault injected (deploy restart) → the candidate drained in the faulty region. */
    faultToRollbackMs?: number;
    /** First faulty answer a client got from green → green drained. */
    faultVisibleToRollbackMs?: number;
  };
  /** Pids of the lab's daemons, so callers can check that none outlived the demo. */
  pids: number[];
  labDir: string;
}

/** Regions before the fault region promote, it rolls back, later ones are skipped (`delayed` stops at a failure). */
export function expectedOutcomes(regions: readonly string[], fault: FaultChoice, faultRegion: string): Record<string, RegionOutcome> {
  // One broken host is within the minimum: every region promotes, the fault region without it.
  const at = fault === 'none' || fault === 'host' ? regions.length : regions.indexOf(faultRegion);
  return Object.fromEntries(regions.map((r, i) => [r, i < at ? 'succeeded' : i === at ? 'rolled_back' : 'skipped']));
}

export function releaseFaults(fault: FaultChoice, faultRegion: string, fromWeightPct?: number): ReleaseFaults {
  const from = fromWeightPct === undefined ? {} : { fromWeightPct };
  return isReleaseFault(fault) ? { default: {}, regions: { [faultRegion]: { ...FAULT_VALUES[fault], ...from } } } : { default: {} };
}

/** Compares what happened with what the chosen fault should cause; returns the differences. */
export function checkOutcome(
  d: Pick<DemoResult, 'expected' | 'result' | 'haproxyWeights' | 'cards' | 'faults' | 'fault'> & Partial<Pick<DemoResult, 'serverWeights'>>,
): string[] {
  const problems: string[] = [];
  if (!d.result) return ['the rollout returned no result'];
  for (const [region, want] of Object.entries(d.expected)) {
    const got: RegionResult | undefined = d.result.regions[region];
    if (got?.outcome !== want)
      problems.push(`${region}: outcome ${got?.outcome ?? 'missing'}, expected ${want}${got?.reason ? ` (${got.reason})` : ''}`);
    const w = d.haproxyWeights[region];
    const candidate = candidateOf(got);
    const live: Colour = want === 'succeeded' ? candidate : otherColour(candidate);
    if (!w || w[live] !== 100) problems.push(`${region}: HAProxy holds blue ${w?.blue}/green ${w?.green}, expected ${live} 100`);
    const broken = region === d.fault.region ? BROKEN_HOSTS[d.fault.kind] : undefined;
    if (broken) problems.push(...checkBrokenHosts(region, got, broken, want, d.serverWeights?.[region]));
    if (want === 'rolled_back' && isReleaseFault(d.fault.kind)) {
      if (!(got && got.stageReached > 0)) problems.push(`${region}: rolled back before the candidate took traffic`);
      if (got?.breach?.metric !== BREACH_METRIC[d.fault.kind])
        problems.push(`${region}: breach ${got?.breach?.metric ?? 'none'}, expected ${BREACH_METRIC[d.fault.kind]}`);
      const card = d.cards.find((c) => c.channel === 'slack' && c.hook === region && c.kind === 'rollback');
      if (!card) problems.push(`${region}: no rollback card reached Slack`);
      else if (!BREACH_WORDS[d.fault.kind](candidate).test(card.cause ?? ''))
        problems.push(`${region}: the rollback card does not name the breached metric: ${card.cause}`);
      if (!d.faults.some((f) => f.region === region && f.colour === candidate)) problems.push(`${region}: no fault injection was recorded`);
    }
  }
  return problems;
}

/**
 * The broken hosts are named: out of service in a region that promoted (and at weight 0 on its
 * HAProxy, the candidate's other servers above 0), in the reason of one that failed before traffic.
 */
function checkBrokenHosts(
  region: string,
  got: RegionResult | undefined,
  broken: string[],
  want: RegionOutcome,
  servers: Record<string, number> = {},
): string[] {
  if (want === 'succeeded') {
    const out = (got?.outOfService ?? []).map((h) => h.host);
    const candidate = candidateOf(got);
    const serving = Object.keys(servers).filter((n) => n.startsWith(`${candidate}-`) && !broken.includes(n));
    return [
      ...(out.join() === broken.join()
        ? []
        : [`${region}: hosts out of service ${out.join(', ') || 'none'}, expected ${broken.join(', ')}`]),
      ...broken.filter((h) => servers[h] !== 0).map((h) => `${region}: HAProxy gives out-of-service ${h} weight ${servers[h]}, expected 0`),
      ...serving.filter((n) => !(servers[n]! > 0)).map((n) => `${region}: HAProxy gives in-service ${n} weight ${servers[n]}`),
    ];
  }
  const problems: string[] = [];
  if (got?.stageReached !== 0)
    problems.push(`${region}: the candidate took traffic (reached ${got?.stageReached}%) with too few healthy hosts`);
  for (const host of broken) if (!got?.reason?.includes(host)) problems.push(`${region}: the result does not name ${host}: ${got?.reason}`);
  return problems;
}

export function summarise(view: ProgressView, d: DemoResult): void {
  const log = (l: string) => view.log(l);
  log('');
  log(view.paint('bold', `rollout ${d.result?.outcome ?? 'unknown'} in ${((d.timings.rolloutMs ?? 0) / 1000).toFixed(1)} s`));
  for (const [region, want] of Object.entries(d.expected)) {
    const got = d.result?.regions[region];
    const w = d.haproxyWeights[region];
    const reached = String(got?.stageReached ?? 0).padStart(3);
    log(
      `  ${region.padEnd(8)} ${String(got?.outcome).padEnd(12)} reached ${reached}%  HAProxy blue ${w?.blue}/green ${w?.green}  ` +
        `(expected ${want})${got?.reason ? ` — ${got.reason}` : ''}` +
        (got?.outOfService?.length ? ` — out of service: ${hostsText(got.outOfService)}` : ''),
    );
  }
  const drained = `${candidateOf(d.fault.region ? d.result?.regions[d.fault.region] : undefined)} drained`;
  if (d.timings.faultToRollbackMs !== undefined) log(`  fault injected → ${drained}: ${(d.timings.faultToRollbackMs / 1000).toFixed(1)} s`);
  if (d.timings.faultVisibleToRollbackMs !== undefined)
    log(`  first faulty answer to a client → ${drained}: ${(d.timings.faultVisibleToRollbackMs / 1000).toFixed(1)} s`);
  log(
    d.ok
      ? view.paint('green', 'the demo ran as designed')
      : view.paint('red', `the demo did NOT go as designed:\n  - ${d.mismatches.join('\n  - ')}`),
  );
  log(`Web UI: ${d.webUi}`);
}
