// The watch activity: polls a colour's metrics through the region's metrics provider for one
// period, judges every poll, returns at once on a breach and otherwise at the period's end.
// Progress rides on heartbeats: the Web UI shows it under Pending Activities, a retry after a
// worker crash resumes from it against the same absolute end, and cancellation (abort, the end
// of a paused hold) arrives with the next heartbeat.
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { Colour, Metrics } from '../domain/metrics.js';
import type { RegionContext, StageReport, WatchActivities } from '../domain/ports.js';
import { healthy, nextPollDelay, onReadFailure, onReading, pollMs, reportDue, startProgress, type WatchProgress, type WatchRequest, type WatchResult } from '../domain/watch.js';

export interface WatchDeps {
  /** One reading of a colour in a region (the region's metrics provider). */
  read(ctx: RegionContext, colour: Colour): Promise<Metrics>;
  /** The provider's scrape interval in the region: polling faster only re-reads the same samples. */
  minPollSeconds(region: string): number;
  /** Where a period reports every `reportSeconds` (the Pushgateway); best effort. */
  report?(ctx: RegionContext, report: StageReport): Promise<void>;
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

export function createWatchActivities(deps: WatchDeps): WatchActivities {
  return {
    async watchPeriod(req: WatchRequest): Promise<WatchResult> {
      const act = Context.current();
      let progress = (act.info.heartbeatDetails as WatchProgress | undefined) ?? startProgress();
      const endsAt = Date.parse(req.endsAt);
      const interval = pollMs(req, deps.minPollSeconds(req.ctx.region));
      for (;;) {
        act.heartbeat(progress);
        const delay = nextPollDelay(Date.now(), endsAt, interval);
        // Rejects with CancelledFailure when the workflow cancels the period (via the heartbeat).
        if (delay > 0) await act.sleep(delay);
        const step = await deps.read(req.ctx, req.colour).then(
          (metrics) => onReading(progress, metrics, req),
          (err: unknown) => {
            // A wrong query or credential will not fix itself: fail the period with its cause.
            if (err instanceof ApplicationFailure && err.nonRetryable) throw err;
            return onReadFailure(progress, messageOf(err), req.phase);
          },
        );
        progress = step.progress;
        if (step.breach) {
          act.heartbeat(progress);
          return { verdict: 'breach', breach: step.breach, polls: progress.polls, ...(progress.last ? { last: progress.last } : {}) };
        }
        const now = Date.now();
        if (deps.report && progress.last && reportDue(progress, now, req.reportSeconds)) {
          progress = { ...progress, lastReportAt: now };
          const report: StageReport = { version: req.version, stage: req.stage.label, weightPct: req.stage.weightPct, outcome: 'in_progress', metrics: progress.last };
          await deps.report(req.ctx, report).catch((err: unknown) => act.log.warn('stage report failed', { error: messageOf(err) }));
        }
        if (now >= endsAt) return healthy(progress);
      }
    },
  };
}
