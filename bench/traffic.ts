// A region's service as production runs it, for the judge bench: several instances per colour,
// each with its own counters, scraped by Prometheus at its own offset, behind a balancer that
// answers for an instance that is down. What the judge reads is built from those scrapes with
// Prometheus' own semantics (bench/prometheus.ts), never from the model's true rates.
//
// Per instance and scrape interval: Poisson requests (the service's rate × the colour's weight ×
// the instance's load share); errors in clusters of geometric size (mean 1 = independent errors)
// at the colour's rate × the instance's error multiplier; latency lognormal (p95 200 ms) with an
// optional tail of requests made slower by a fixed amount; a shared outage puts both colours'
// requests in its window at its error rate; a restarted instance's counters start again at 0.
import type { ColourSample } from '../domain/counters.js';
import type { ColourCounts } from '../domain/judge-counts.js';
import { binomial, normalCdf, poisson, type Rng } from './random.js';
import { LATENCY_BUCKETS } from '../lab/sample-service.js';

/** Bucket upper bounds in seconds, the last +Inf: the lab service's histogram. */
export const LE = [...LATENCY_BUCKETS, Infinity];
const MEDIAN_MS = 200 / Math.exp(1.6449 * 0.5);
const SIGMA = 0.5;
/** The balancer's health check marks a server down after this long without answers (inter 1 s, fall 2). */
const CHECK_DOWN_SECONDS = 2;
/** Instance names, made once: objects keyed by the same strings keep one shape. */
const IDS = Array.from({ length: 64 }, (_, i) => `i${i}`);
/** The lowest latency limit any bench period uses. */
const LOWEST_LIMIT_MS = 300;

export interface Behaviour {
  errorRate: number;
  /** Multiplies every request's time. */
  latencyScale?: number;
  /** A share of requests made slower by tailMs (a tail-only regression). */
  tail?: { share: number; ms: number };
}

export interface Fault {
  /** Both colours: from `at` for `seconds`, requests fail at `errorRate` (a shared dependency). */
  outage?: { at: number; seconds: number; errorRate: number };
  /** One instance restarts at `at`: down `seconds` (counters start again at 0). */
  restart?: { instance: number; at: number; seconds: number };
  /** One candidate instance dies at `at` and stays down. */
  dies?: { instance: number; at: number };
  /** One candidate instance errs at its own rate (a host-specific fault: a bad disk, a missed config file). */
  badHost?: { instance: number; errorRate: number };
}

export interface WorldModel {
  instancesPerColour: number;
  scrapeSeconds: number;
  /**
   * The balancer's exporter is scraped this often (each server at its instance's offset within
   * it): its health state is what a dead server is caught by. Its failure counts are taken with
   * the instance's own scrape, which only delays them.
   */
  balancerScrapeSeconds: number;
  /** All instances scraped at the same instants (today's bench), or each at its own offset. */
  aligned: boolean;
  /** Mean errors per cluster (1 = independent errors). */
  clusterMean: number;
  /** σ of the per-instance lognormal multipliers of load and error rate (0 = none). */
  loadSigma: number;
  errorSigma: number;
  /** Requests per minute at `t` seconds (a ramp), times the nominal rate. */
  rampAt?(t: number): number;
  /** Share of requests the stable colour still gets while the candidate is at 100 %. */
  residualPct: number;
  behaviour(colour: 'candidate' | 'stable', t: number): Behaviour;
}

interface Instance {
  role: 'candidate' | 'stable';
  offset: number;
  load: number;
  errorMult: number;
  /** Cumulative counters as the service exports them; `above[k]` = requests slower than LE[k]. */
  requests: number;
  errors: number;
  above: Float64Array;
  /** Cumulative failures the balancer answered for this instance. */
  failed: number;
  down: boolean;
  /** The last scrape: time (NaN before the first) and the values then. */
  scrapedAt: number;
  scraped: { requests: number; errors: number; above: Float64Array; failed: number; down: boolean };
  /** Scrapes kept for rate windows (static judge). */
  history?: { t: number; requests: number; errors: number; buckets: Float64Array }[];
}

const lognormal = (rng: Rng, sigma: number): number => {
  if (sigma <= 0) return 1;
  // Box–Muller; mean 1.
  const z = Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  return Math.exp(sigma * z - (sigma * sigma) / 2);
};

/** P(request time > le seconds) for the body of the latency distribution. */
const tailCache = new Map<number, Float64Array>();
function survival(scale: number): Float64Array {
  let s = tailCache.get(scale);
  if (!s) {
    s = new Float64Array(LE.length);
    LE.forEach((le, i) => (s![i] = le === Infinity ? 0 : 1 - normalCdf((Math.log(le * 1000) - Math.log(MEDIAN_MS * scale)) / SIGMA)));
    tailCache.set(scale, s);
  }
  return s;
}

/** Errors among `n` requests: clusters of geometric size (mean m), or independent when m = 1. */
function drawErrors(rng: Rng, n: number, rate: number, m: number): number {
  if (n <= 0 || rate <= 0) return 0;
  if (m <= 1) return binomial(rng, n, Math.min(1, rate));
  let errors = 0;
  for (let c = poisson(rng, (n * rate) / m); c > 0; c--) {
    let size = 1;
    while (rng.next() < 1 - 1 / m) size++;
    errors += size;
  }
  return Math.min(n, errors);
}

export class World {
  readonly instances: Instance[] = [];
  /** The candidate's weight now, in %. */
  weightPct = 0;
  /** Where advance() has brought the world, in seconds. */
  private now = 0;
  /** Instances the balancer no longer sends requests to (judged far worse than their siblings). */
  private readonly out = new Set<number>();
  /** Buckets below the lowest stage limit are only needed for a rate window's p95. */
  private readonly firstBucket: number;
  private readonly slowBucket = bucketAtOrBelow(LOWEST_LIMIT_MS);

  constructor(
    private readonly model: WorldModel,
    private readonly rng: Rng,
    private readonly rpm: number,
    private readonly fault: Fault,
    /** Keep scrape histories with all buckets (the static judge's rate window). */
    withHistory: boolean,
  ) {
    this.firstBucket = withHistory ? 0 : this.slowBucket;
    for (const role of ['candidate', 'stable'] as const) {
      for (let i = 0; i < model.instancesPerColour; i++) {
        this.instances.push({
          role,
          offset: model.aligned ? 0 : rng.next() * model.scrapeSeconds,
          load: lognormal(rng, model.loadSigma),
          errorMult: lognormal(rng, model.errorSigma),
          requests: 0,
          errors: 0,
          above: new Float64Array(LE.length),
          failed: 0,
          down: false,
          scrapedAt: NaN,
          scraped: { requests: 0, errors: 0, above: new Float64Array(LE.length), failed: 0, down: false },
          ...(withHistory ? { history: [] } : {}),
        });
      }
    }
  }

  /** Advances to `until` seconds: every instance's scrapes in between, in time order per instance. */
  advance(until: number): void {
    const step = this.model.scrapeSeconds;
    this.now = until;
    for (let i = 0; i < this.instances.length; i++) {
      const inst = this.instances[i]!;
      // This instance's scrapes are at offset + k·step; generate the intervals ending at each.
      const first = Number.isNaN(inst.scrapedAt);
      for (let next = first ? inst.offset : inst.scrapedAt + step; next <= until + 1e-9; next += step) {
        if (!Number.isNaN(inst.scrapedAt)) this.serve(i, inst, inst.scrapedAt, next);
        inst.scrapedAt = next;
        const s = inst.scraped;
        s.requests = inst.requests;
        s.errors = inst.errors;
        s.above.set(inst.above);
        s.failed = inst.failed;
        s.down = inst.down;
        if (inst.history && inst.role === 'candidate') {
          const buckets = new Float64Array(LE.length);
          for (let k = 0; k < LE.length; k++) buckets[k] = inst.requests - inst.above[k]!;
          inst.history.push({ t: next, requests: inst.requests, errors: inst.errors, buckets });
          if (inst.history.length > 16) inst.history.shift();
        }
      }
    }
  }

  /** Takes the instance with this server name out of the balancer. */
  takeOut(server: string): void {
    this.out.add(IDS.indexOf(server));
  }

  /** The share of the service's requests instance `i` receives at `t` (0 when the balancer has it down). */
  private shareOf(i: number, t: number): number {
    const inst = this.instances[i]!;
    const candidate = this.weightPct >= 100 ? 1 - this.model.residualPct / 100 : this.weightPct / 100;
    const colourShare = inst.role === 'candidate' ? candidate : 1 - candidate;
    if (this.isDown(i, t) || this.out.has(i)) return 0;
    let load = 0;
    for (let j = 0; j < this.instances.length; j++) {
      const x = this.instances[j]!;
      if (x.role === inst.role && !this.isDown(j, t) && !this.out.has(j)) load += x.load;
    }
    return load > 0 ? (colourShare * inst.load) / load : 0;
  }

  /** Whether the balancer's last scrape before now saw instance `i` down. */
  private downAtBalancerScrape(i: number): boolean {
    const step = this.model.balancerScrapeSeconds;
    const offset = this.instances[i]!.offset % step;
    return this.now >= offset && this.isDown(i, offset + Math.floor((this.now - offset) / step) * step);
  }

  /** Down by the balancer's health check (not merely not answering yet). */
  private isDown(i: number, t: number): boolean {
    const d = this.fault.dies;
    return d !== undefined && d.instance === i && t >= d.at + CHECK_DOWN_SECONDS;
  }

  /** The instance's traffic in (a, b]. */
  private serve(i: number, inst: Instance, a: number, b: number): void {
    const { restart, outage } = this.fault;
    if (restart && restart.instance === i && restart.at > a && restart.at <= b) {
      // The application's counters start again at 0; the balancer's are its own.
      inst.requests = inst.errors = 0;
      inst.above.fill(0);
    }
    const mid = (a + b) / 2;
    const rate = (this.rpm / 60) * (this.model.rampAt?.(mid) ?? 1) * this.shareOf(i, mid);
    const n = poisson(this.rng, rate * (b - a));
    if (n === 0) {
      inst.down = this.isDown(i, b);
      return;
    }
    // Requests that found the instance gone (and not yet taken out) are the balancer's 502s.
    const goneFrom = Math.max(a, this.goneStart(i) ?? Infinity);
    const goneTo = Math.min(b, this.goneEnd(i));
    const goneShare = goneTo > goneFrom ? (goneTo - goneFrom) / (b - a) : 0;
    const failed = goneShare > 0 ? binomial(this.rng, n, goneShare) : 0;
    inst.failed += failed;
    const served = n - failed;
    const beh = this.model.behaviour(inst.role, mid);
    let inOutage = 0;
    if (outage) {
      const overlap = Math.min(b, outage.at + outage.seconds) - Math.max(a, outage.at);
      if (overlap > 0) inOutage = binomial(this.rng, served, overlap / (b - a));
    }
    const bad = this.fault.badHost?.instance === i ? this.fault.badHost.errorRate : undefined;
    let errors = drawErrors(this.rng, served - inOutage, bad ?? beh.errorRate * inst.errorMult, this.model.clusterMean);
    if (inOutage) errors += binomial(this.rng, inOutage, outage!.errorRate);
    inst.requests += served;
    inst.errors += Math.min(served, errors);
    this.addLatency(inst, served, beh);
    inst.down = this.isDown(i, b);
  }

  private goneStart(i: number): number | undefined {
    const { dies, restart } = this.fault;
    if (dies?.instance === i) return dies.at;
    if (restart?.instance === i) return restart.at;
    return undefined;
  }

  private goneEnd(i: number): number {
    const { dies, restart } = this.fault;
    if (dies?.instance === i) return dies.at + CHECK_DOWN_SECONDS;
    if (restart?.instance === i) return restart.at + restart.seconds;
    return -Infinity;
  }

  /** Slow counts above every bound: sequential binomials down the survival curve. */
  private addLatency(inst: Instance, n: number, beh: Behaviour): void {
    const tailN = beh.tail ? binomial(this.rng, n, beh.tail.share) : 0;
    const s = survival(beh.latencyScale ?? 1);
    let above = n - tailN;
    let p = 1;
    // The static gate reads only the candidate's rate window: the stable colour's low buckets go unread.
    for (let k = inst.role === 'candidate' ? this.firstBucket : this.slowBucket; k < LE.length - 1; k++) {
      if (above > 0) above = binomial(this.rng, above, Math.min(1, s[k]! / p));
      p = s[k]!;
      // A tail request takes about a typical time plus tail.ms.
      const tailAbove = beh.tail && LE[k]! * 1000 < beh.tail.ms + MEDIAN_MS ? tailN : 0;
      inst.above[k]! += above + tailAbove;
      if (above === 0 && tailAbove === 0) break;
    }
  }

  /** What a query at `now` returns for a role: each instance's last scrape, slow counted above `limitMs`'s bucket. */
  sample(role: 'candidate' | 'stable', limitMs: number): ColourSample {
    const k = bucketAtOrBelow(limitMs);
    const instances: Record<string, { requests: number; errors: number; slow: number }> = {};
    const servers: ColourSample['servers'] & object = {};
    for (let i = 0; i < this.instances.length; i++) {
      const inst = this.instances[i]!;
      if (inst.role !== role || Number.isNaN(inst.scrapedAt)) continue;
      const s = inst.scraped;
      instances[IDS[i]!] = { requests: s.requests, errors: s.errors, slow: s.above[k]! };
      // The balancer counts what each server answered: one instance per server here.
      servers[IDS[i]!] = { responses: s.requests, serverErrors: s.errors, errors: s.failed, down: this.downAtBalancerScrape(i) };
    }
    return { instances, servers };
  }

  /** The stable colour's counts over `minutes` before now, in bins (it served everything then). */
  past(rng: Rng, minutes: number, binMinutes: number, limitMs: number): ColourCounts[] {
    // The stable colour then served everything at its instances' load-weighted error rate; bins are
    // drawn whole (a bin's counts are what its first and last scrapes differ by).
    const stable = this.instances.filter((i) => i.role === 'stable');
    const load = stable.reduce((a, i) => a + i.load, 0);
    const errorMult = stable.reduce((a, i) => a + i.load * i.errorMult, 0) / load;
    const slowShare = survival(1)[bucketAtOrBelow(limitMs)]!;
    const bins: ColourCounts[] = [];
    for (let t = 0; t + binMinutes * 60 <= minutes * 60; t += binMinutes * 60) {
      const requests = poisson(rng, this.rpm * binMinutes);
      const errors = drawErrors(rng, requests, this.model.behaviour('stable', -1).errorRate * errorMult, this.model.clusterMean);
      bins.push({ requests, errors, slow: binomial(rng, requests, slowShare) });
    }
    return bins;
  }
}

/** Index of the largest bound ≤ the limit (slowFromBuckets' rule). */
function bucketAtOrBelow(limitMs: number): number {
  let k = 0;
  for (let i = 0; i < LE.length - 1; i++) if (LE[i]! <= limitMs / 1000 + 1e-9) k = i;
  return k;
}
