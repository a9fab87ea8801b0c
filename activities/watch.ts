// The watch activity: polls through the region's metrics provider for one period, judges every
// poll, returns at once on a breach and otherwise when the judge lets the period end.
// Progress rides on heartbeats: the Web UI shows it under Pending Activities, a retry after a
// worker crash resumes from it against the same absolute end, and cancellation (abort, the end
// of a paused hold) arrives with the next heartbeat.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { countsBetween, type ColourSample } from '../domain/counters.js';
import { needsBaseline, withBaseline } from '../domain/judge.js';
import type { ColourCounts } from '../domain/judge-counts.js';
import type { StageReport, WatchActivities } from '../domain/ports.js';
import {
  countSamples,
  nextPollDelay,
  onPoll,
  onReadFailure,
  pollMs,
  reportDue,
  startProgress,
  type Poll,
  type WatchProgress,
  type WatchRequest,
  type WatchResult,
} from '../domain/watch.js';
import type { MetricsProvider } from './metrics-provider.js';
import { unavailable } from './prometheus-query.js';

export interface WatchDeps {
  /** The region's metrics provider. */
  provider(region: string): MetricsProvider;
  /** Where a period reports every `reportSeconds` (the Pushgateway); best effort. */
  report?(ctx: WatchRequest['ctx'], report: StageReport): Promise<void>;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/**
 * Waits `ms`, or rejects with the activity's CancelledFailure (the signal's reason) once it is
 * cancelled. Context.sleep does the same, but chains each call onto the activity's pending
 * `cancelled` promise, where it stays until the activity ends: a watch polls thousands of times
 * (0.3 GB for 500 watches polling every second for 4 minutes, docs/BENCHMARKS.md).
 */
export function pause(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const cancel = () => (clearTimeout(timer), reject(signal.reason as Error));
    const timer = setTimeout(() => (signal.removeEventListener('abort', cancel), resolve()), ms);
    signal.addEventListener('abort', cancel, { once: true });
  });
}

/** Both colours' raw counters at one instant, the judged colour as `green`. */
async function sampleBoth(provider: MetricsProvider, req: WatchRequest, at: Date): Promise<{ green: ColourSample; blue: ColourSample }> {
  const limit = req.thresholds.maxLatencyMs;
  const [green, blue] = await Promise.all([
    provider.sample(req.ctx, req.colour, limit, at),
    provider.sample(req.ctx, req.baseline, limit, at),
  ]);
  return { green, blue };
}

/**
 * The stable colour's counts, bin by bin, over the judge's `baselineMinutes` before its baseline
 * ends (the region's start; the period's, if the workflow named none), slow at this period's limit:
 * one read per counter, however many bins. A bin whose first sample holds nothing (before
 * Prometheus' retention or the service) counts its counters' whole history: still the stable
 * colour's own requests and errors, so still its rate (a lab's Prometheus is minutes old). Bins
 * without a request are left out. The application's counters only: the balancer may not have been
 * scraped that far back.
 */
async function readLookback(provider: MetricsProvider, req: WatchRequest): Promise<ColourCounts[]> {
  const { baselineMinutes, baselineBinMinutes } = req.judge.config;
  const end = Date.parse(req.judge.state.baselineEndsAt ?? req.startedAt);
  const bins = Math.floor(baselineMinutes / baselineBinMinutes);
  const binMs = baselineBinMinutes * 60_000;
  const samples = await provider.sampleEvery(
    req.ctx,
    req.baseline,
    req.thresholds.maxLatencyMs,
    new Date(end - bins * binMs),
    binMs,
    bins + 1,
  );
  return samples.slice(1).flatMap((now, i) => {
    const bin = countsBetween(samples[i], now);
    return bin.requests > 0 ? [bin] : [];
  });
}

/**
 * One poll: the judged colour's reading and, for the sequential judge, both colours' exact counts
 * since the period began, added up from the last samples (kept in the progress, so a retried
 * attempt counts on from its last heartbeat). The first poll that needs the stable colour's
 * lookback (judge.ts needsBaseline) reads it into the judge's state, which carries it on.
 */
async function readPoll(provider: MetricsProvider, req: WatchRequest, p: WatchProgress): Promise<{ poll: Poll; progress: WatchProgress }> {
  if (req.judge.config.kind === 'static') return { poll: { reading: await provider.read(req.ctx, req.colour) }, progress: p };
  if (needsBaseline(p.judgeState, req.judge.config))
    p = { ...p, judgeState: withBaseline(p.judgeState, await readLookback(provider, req)) };
  // The period's first samples are taken at its start: traffic before the first poll counts.
  // A colour without series then (not yet scraped) counts from zero; without series now, it is
  // not read at all (a failed read), whereas no request in the window is only no traffic.
  const before = p.samples ?? (await sampleBoth(provider, req, new Date(req.startedAt)));
  const [window, now] = await Promise.all([
    provider.readWindow(req.ctx, req.colour).then(
      (reading) => ({ reading }),
      (failed: unknown) => ({ failed }),
    ),
    sampleBoth(provider, req, new Date()),
  ]);
  // A dying instance's series go stale with it, before its balancer has it down: while the
  // balancer still reports the colour's servers, their failures and health are what there is to read.
  const gone = (s: ColourSample) => Object.keys(s.instances).length === 0 && Object.keys(s.servers ?? {}).length > 0;
  for (const [colour, s] of [
    [req.colour, now.green],
    [req.baseline, now.blue],
  ] as const) {
    if (Object.keys(s.instances).length === 0 && !gone(s)) {
      throw unavailable(`no request counter series for ${colour} in ${req.ctx.region}: not scraped, or the query's labels match nothing`);
    }
  }
  // Its own readings went with it too; a wrong query never passes.
  if ('failed' in window && (!gone(now.green) || (window.failed instanceof ApplicationFailure && window.failed.nonRetryable)))
    throw window.failed;
  const reading = 'reading' in window ? window.reading : { sampledAt: new Date().toISOString() };
  const counted = countSamples(p, before, now);
  return { poll: { reading, ...counted.poll }, progress: counted.progress };
}

export function createWatchActivities(deps: WatchDeps): WatchActivities {
  return {
    async watchPeriod(req: WatchRequest): Promise<WatchResult> {
      const act = Context.current();
      const provider = deps.provider(req.ctx.region);
      let progress = (act.info.heartbeatDetails as WatchProgress | undefined) ?? startProgress(req);
      const endsAt = Date.parse(req.endsAt);
      const interval = pollMs(req, provider.scrapeIntervalSeconds);
      for (;;) {
        act.heartbeat(progress);
        // Rejects with CancelledFailure when the workflow cancels the period (via the heartbeat).
        await pause(act.cancellationSignal, nextPollDelay(Date.now(), endsAt, interval));
        const step = await readPoll(provider, req, progress).then(
          (read) => onPoll(read.progress, read.poll, req, Date.now()),
          (err: unknown) => {
            // A wrong query or credential will not fix itself: fail the period with its cause.
            if (err instanceof ApplicationFailure && err.nonRetryable) throw err;
            return onReadFailure(progress, messageOf(err), req.phase);
          },
        );
        progress = step.progress;
        if (step.done) {
          act.heartbeat(progress);
          return step.done;
        }
        const now = Date.now();
        // Once cancelled (abort, a hold's resume), a report would land after the rollback's own.
        if (deps.report && progress.last && !act.cancellationSignal.aborted && reportDue(progress, now, req.reportSeconds)) {
          progress = { ...progress, lastReportAt: now };
          const e = progress.verdict?.evidence;
          const report: StageReport = {
            version: req.version,
            stage: req.stage.label,
            weightPct: req.stage.weightPct,
            outcome: 'in_progress',
            metrics: progress.last,
            ...(e ? { evidence: { test: e.test, statistic: e.statistic, bound: e.bound } } : {}),
          };
          await deps.report(req.ctx, report).catch((err: unknown) => act.log.warn('stage report failed', { error: messageOf(err) }));
        }
      }
    },
  };
}
