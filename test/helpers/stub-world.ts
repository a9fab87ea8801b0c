// Stub activities over an in-memory world of regions (weights, DNS, deployed versions, health).
// Workflow tests steer them through hooks, which run inside the activity, so a signal a hook
// sends is in history before the activity completes: no races with time skipping.
import { Context } from '@temporalio/activity';
import { admitting } from '../../activities/admission.js';
import type { Colour, Metrics } from '../../domain/metrics.js';
import type { FleetSizes, HostOutcome } from '../../domain/fleet.js';
import type { Annotation, Card, MeridianActivities, RegionContext, StageReport, TrafficWeights } from '../../domain/ports.js';
import { NO_COUNTS, type ColourCounts } from '../../domain/judge-counts.js';
import type { HostCounts } from '../../domain/judge-hosts.js';
import { needsBaseline, withBaseline } from '../../domain/judge.js';
import { longestMs, onPoll, onReadFailure, startProgress, type Poll, type WatchRequest, type WatchResult } from '../../domain/watch.js';

export interface Call {
  name: string;
  region?: string;
  args: unknown;
}

export interface WorldHooks {
  /** Health of a colour in a region; throw to make metrics unavailable. */
  metrics?: (region: string, colour: Colour, world: StubWorld) => Metrics;
  onDeploy?: (region: string, world: StubWorld) => Promise<void> | void;
  /** Each host's deploy outcome in a region (default: one healthy host named after the colour). */
  fleet?: (region: string, colour: Colour) => HostOutcome[];
  /** Hosts per colour per region, as the worker's config would list them (what workerSetup answers). */
  fleetSizes?: FleetSizes;
  onSetWeights?: (region: string, weights: TrafficWeights, world: StubWorld) => Promise<void> | void;
  onReadMetrics?: (region: string, colour: Colour, world: StubWorld) => Promise<void> | void;
  /** Runs inside checkMetrics (before the region's first change); throw to refuse its metrics. */
  onCheckMetrics?: (region: string, latencyLimitsMs: number[], world: StubWorld) => Promise<void> | void;
  onNotify?: (card: Card, world: StubWorld) => Promise<void> | void;
  delayedRolloutsOnRecord?: number;
  /** Runs inside the parallel policy's count, before it answers. */
  onPolicyCheck?: (world: StubWorld) => Promise<void> | void;
  /** Requests a region serves between two polls of a watched period (default 2,000). */
  requestsPerPoll?: number;
  /**
   * A candidate host's own error rate in %, where it differs from its colour's (`fleet` lists the
   * hosts): the watch then counts each host in service, the colour's requests split evenly.
   */
  hostErrorPct?: (region: string, host: string) => number | undefined;
}

/** Requests a region serves between two polls of the stub watch, split by its weights. */
const REQUESTS_PER_POLL = 2000;
/** Polls per check interval in a finite period (5 s polls in a minute). */
const POLLS_PER_REPORT = 12;

export const HEALTHY: Metrics = { errorRatePct: 0.05, latencyP95Ms: 120, cpuPct: 35, memoryPct: 50, sampledAt: '2026-01-01T00:00:00Z' };

/** A watched period's counts so far: both colours, and the candidate's hosts where the world counts them. */
interface PeriodCounts {
  green: ColourCounts;
  blue: ColourCounts;
  hosts: Record<string, HostCounts>;
}

export class StubWorld {
  readonly weights = new Map<string, TrafficWeights>();
  readonly dns = new Map<string, Colour>();
  readonly deployed = new Map<string, string>();
  readonly calls: Call[] = [];
  readonly cards: Card[] = [];
  readonly annotations: Annotation[] = [];
  readonly pushes: (StageReport & { region: string })[] = [];
  /** The watched period in progress (the last one started), for hooks that care which it is. */
  watching?: WatchRequest;
  /** Every watched period's request, in order (a hold's and the poll after a resume included). */
  readonly watches: WatchRequest[] = [];
  /** Each watched period's counts so far, by region and start: a hold goes on counting the period it follows. */
  private readonly periodCounts = new Map<string, PeriodCounts>();
  /** The hosts the last weight change named out of service, by region. */
  readonly outOfService = new Map<string, string[]>();

  constructor(
    /** The regions this world's worker is configured for (what workerSetup answers). */
    readonly regions: string[],
    public hooks: WorldHooks = {},
    /** The worker config's approver lists (what workerSetup answers beside the regions). */
    readonly approvers?: Record<string, string[]>,
  ) {
    for (const r of regions) {
      this.weights.set(r, { blue: 100, green: 0 });
      this.dns.set(r, 'blue');
    }
  }

  /** What this world's worker config answers: its regions and approver lists. */
  private readonly setup = async () => ({
    regions: [...this.regions],
    ...(this.approvers ? { approvers: this.approvers } : {}),
    ...(this.hooks.fleetSizes ? { fleets: this.hooks.fleetSizes } : {}),
  });

  callsFor(region: string, name?: string): Call[] {
    return this.calls.filter((c) => c.region === region && (!name || c.name === name));
  }

  private record(name: string, ctx: RegionContext | undefined, args: unknown): void {
    this.calls.push({ name, region: ctx?.region, args });
  }

  private async read(ctx: RegionContext, colour: Colour): Promise<Metrics> {
    this.record('readMetrics', ctx, { colour });
    await this.hooks.onReadMetrics?.(ctx.region, colour, this);
    return this.hooks.metrics ? this.hooks.metrics(ctx.region, colour, this) : HEALTHY;
  }

  /**
   * A watched period as one poll per check interval, judged by the same pure functions as the
   * real activity. Each check interval the region serves REQUESTS_PER_POLL requests split by its weights, with
   * errors and slow requests as the `metrics` hook says for each colour, counted since the period
   * began (`startedAt`, which a hold shares with the period it follows). A finite period polls
   * without waiting, on simulated time (the workflow waits out its end, so the time-skipping server
   * skips it); a paused hold polls at the check interval, in real time, until cancelled.
   */
  private async watch(req: WatchRequest): Promise<WatchResult> {
    this.record('watchPeriod', req.ctx, { phase: req.phase, hold: req.hold });
    this.watching = req;
    this.watches.push(req);
    const start = Date.parse(req.startedAt);
    const reportMs = req.reportSeconds * 1000;
    const longest = req.hold ? Infinity : Math.max(reportMs, longestMs(req));
    let progress = startProgress(req);
    // As the real watch: the stable colour's lookback, read once the judge needs it (a period at 100 %).
    if (needsBaseline(progress.judgeState, req.judge.config))
      progress = { ...progress, judgeState: withBaseline(progress.judgeState, this.lookback(req)) };
    const key = `${req.ctx.region} ${req.startedAt}`;
    const counts: PeriodCounts = this.periodCounts.get(key) ?? { green: { ...NO_COUNTS }, blue: { ...NO_COUNTS }, hosts: {} };
    this.periodCounts.set(key, counts);
    // A finite period polls POLLS_PER_REPORT times per check interval, as the real watch polls
    // every few seconds: the judge bets per poll, so one poll per interval would be one coarse bin.
    const pollMs = req.hold ? reportMs : reportMs / POLLS_PER_REPORT;
    for (let t = pollMs; t <= longest + reportMs; t += pollMs) {
      if (req.hold) {
        Context.current().heartbeat(progress);
        await Context.current().sleep(reportMs);
      }
      const step = await this.poll(req, counts, pollMs / reportMs).then(
        (poll) => onPoll(progress, poll, req, req.hold ? Date.now() : start + t),
        (err: Error) => onReadFailure(progress, err.message, req.phase),
      );
      progress = step.progress;
      if (step.done) return step.done;
    }
    throw new Error(`stub watch of ${req.phase} ran past its longest extension`);
  }

  /** The stable colour before the region's first stage: 36 bins of one check interval's traffic each, as healthy as `metrics` says. */
  protected lookback(req: WatchRequest): ColourCounts[] {
    const m = this.hooks.metrics ? this.hooks.metrics(req.ctx.region, req.baseline, this) : HEALTHY;
    const requests = this.hooks.requestsPerPoll ?? REQUESTS_PER_POLL;
    return Array.from({ length: 36 }, () => ({
      requests,
      errors: (requests * m.errorRatePct) / 100,
      slow: requests * (m.latencyP95Ms > req.thresholds.maxLatencyMs ? 0.5 : 0.01),
    }));
  }

  /** One poll: the judged colour's reading, and both colours' counts grown by `share` of a check interval's traffic. */
  private async poll(req: WatchRequest, counts: PeriodCounts, share: number): Promise<Poll> {
    const reading = await this.read(req.ctx, req.colour);
    const weights = this.weights.get(req.ctx.region)!;
    const grow = (c: ColourCounts, colour: Colour, m: Metrics) => {
      const requests = (share * (this.hooks.requestsPerPoll ?? REQUESTS_PER_POLL) * weights[colour]) / 100;
      c.requests += requests;
      c.errors += (requests * m.errorRatePct) / 100;
      c.slow += requests * (m.latencyP95Ms > req.thresholds.maxLatencyMs ? 0.5 : 0.01);
    };
    const before = counts.green.requests;
    grow(counts.green, req.colour, reading);
    grow(counts.blue, req.baseline, this.hooks.metrics ? this.hooks.metrics(req.ctx.region, req.baseline, this) : HEALTHY);
    const hosts = this.growHosts(req, counts, counts.green.requests - before, reading);
    return { reading, counts: { green: { ...counts.green }, blue: { ...counts.blue } }, ...(hosts ? { hosts } : {}) };
  }

  /** With `hostErrorPct`: the candidate's new requests split evenly over its hosts in service, each erring at its own rate. */
  private growHosts(req: WatchRequest, counts: PeriodCounts, requests: number, reading: Metrics): Poll['hosts'] {
    const own = this.hooks.hostErrorPct;
    const fleet = this.hooks.fleet?.(req.ctx.region, req.colour);
    if (!own || !fleet) return undefined;
    const out = this.outOfService.get(req.ctx.region) ?? [];
    const serving = fleet.filter((h) => h.healthy && !out.includes(h.host));
    counts.green.errors -= (requests * reading.errorRatePct) / 100;
    for (const { host } of serving) {
      const c = (counts.hosts[host] ??= { requests: 0, errors: 0 });
      const errors = ((requests / serving.length) * (own(req.ctx.region, host) ?? reading.errorRatePct)) / 100;
      c.requests += requests / serving.length;
      c.errors += errors;
      counts.green.errors += errors;
    }
    return structuredClone(counts.hosts);
  }

  activities(): MeridianActivities {
    return {
      deploy: async (req) => {
        this.record('deploy', req.ctx, { colour: req.colour, version: req.version });
        await this.hooks.onDeploy?.(req.ctx.region, this);
        const key = `${req.ctx.region}/${req.colour}`;
        const hosts = this.hooks.fleet?.(req.ctx.region, req.colour) ?? [{ host: req.colour, healthy: true }];
        if (req.ctx.dryRun) return { changed: false, summary: `would deploy ${req.version} to ${req.colour}`, hosts };
        const changed = this.deployed.get(key) !== req.version;
        this.deployed.set(key, req.version);
        return { changed, summary: changed ? `deployed ${req.version}` : 'no-op', hosts };
      },
      readTrafficWeights: async (ctx) => {
        this.record('readTrafficWeights', ctx, {});
        return { ...this.weights.get(ctx.region)! };
      },
      setTrafficWeights: async (ctx, w, outOfService) => {
        this.record('setTrafficWeights', ctx, outOfService?.length ? { ...w, outOfService } : w);
        this.outOfService.set(ctx.region, outOfService ?? []);
        if (!ctx.dryRun) this.weights.set(ctx.region, { ...w });
        await this.hooks.onSetWeights?.(ctx.region, w, this);
        return { changed: !ctx.dryRun, summary: `green ${w.green}%` };
      },
      pointDnsAt: async (ctx, colour) => {
        this.record('pointDnsAt', ctx, { colour });
        const previous = this.dns.get(ctx.region);
        const changed = previous !== colour && !ctx.dryRun;
        if (changed) this.dns.set(ctx.region, colour);
        return { changed, previous, summary: `dns → ${colour}` };
      },
      readMetrics: (ctx, colour) => this.read(ctx, colour),
      checkMetrics: async (ctx, limits) => this.hooks.onCheckMetrics?.(ctx.region, limits, this),
      watchPeriod: (req) => this.watch(req),
      pushStageMetrics: async (ctx, report) => {
        this.record('pushStageMetrics', ctx, report);
        this.pushes.push({ ...report, region: ctx.region });
      },
      notify: async (card) => {
        this.calls.push({ name: 'notify', region: card.region, args: card });
        this.cards.push(card);
        await this.hooks.onNotify?.(card, this);
        return { delivered: ['stub'] };
      },
      annotate: async (a) => {
        this.calls.push({ name: 'annotate', region: a.region, args: a });
        this.annotations.push(a);
      },
      countSuccessfulDelayedRollouts: async () => {
        await this.hooks.onPolicyCheck?.(this);
        return this.hooks.delayedRolloutsOnRecord ?? 0;
      },
      // workerSetup parses the rollout's request, as startWorker's does.
      workerSetup: admitting(this.setup),
    };
  }
}

/** Metrics that breach (error rate 5 %) for one region's green colour once its weight reaches `atWeight`. */
export function breachAt(region: string, atWeight: number, metric: 'error' | 'latency' = 'error') {
  return (r: string, colour: Colour, world: StubWorld): Metrics => {
    const w = world.weights.get(r)!;
    if (r === region && colour === 'green' && w.green >= atWeight) {
      return metric === 'error' ? { ...HEALTHY, errorRatePct: 5 } : { ...HEALTHY, latencyP95Ms: 900 };
    }
    return HEALTHY;
  };
}
