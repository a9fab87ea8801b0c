// The watch activity: polls through the region's metrics provider for one period, judges every
// poll, returns at once on a breach and otherwise when the judge lets the period end.
// Progress rides on heartbeats: the Web UI shows it under Pending Activities, a retry after a
// worker crash resumes from it against the same absolute end, and cancellation (abort, the end
// of a paused hold) arrives with the next heartbeat.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { StageReport, WatchActivities } from '../domain/ports.js';
import { nextPollDelay, onPoll, onReadFailure, pollMs, reportDue, startProgress, type Poll, type WatchProgress, type WatchRequest, type WatchResult } from '../domain/watch.js';
import type { MetricsProvider } from './metrics-provider.js';

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

/** One poll: the judged colour's reading and, for the sequential judge, both colours' counts since the period began. */
async function readPoll(provider: MetricsProvider, req: WatchRequest): Promise<Poll> {
  const since = Date.parse(req.startedAt);
  const limit = req.thresholds.maxLatencyMs;
  if (req.judge.config.kind === 'static') return { reading: await provider.read(req.ctx, req.colour) };
  const [reading, green, blue] = await Promise.all([
    provider.read(req.ctx, req.colour),
    provider.counts(req.ctx, req.colour, since, limit),
    provider.counts(req.ctx, req.baseline, since, limit),
  ]);
  return { reading, counts: { green, blue } };
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
        const step = await readPoll(provider, req).then(
          (poll) => onPoll(progress, poll, req, Date.now()),
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
