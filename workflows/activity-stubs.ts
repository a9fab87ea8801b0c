// Activity proxies, one per concern, each with the retry policy and timeouts its kind needs.
// (proxyActivities returns a Proxy with no own keys: pick functions by name, never spread it.)
import { proxyActivities, proxyLocalActivities, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import type * as ports from '../domain/ports.js';
import { NON_RETRYABLE_ERRORS } from '../domain/ports.js';
import { longestMs, type WatchRequest, type WatchResult } from '../domain/watch.js';

type Placement = { taskQueue?: string; scheduleToStartTimeout?: string };
type Timeouts = Pick<ActivityOptions, 'startToCloseTimeout' | 'scheduleToCloseTimeout' | 'heartbeatTimeout'>;

/** Proxies on `on` (the region's own queue, if any) whose retries stop at errors no retry can fix. */
const proxy = <A extends object>(
  on: Placement,
  timeouts: Timeouts,
  retry: Omit<RetryPolicy, 'nonRetryableErrorTypes'>,
  alsoNonRetryable: string[] = [],
) =>
  proxyActivities<A>({ ...on, ...timeouts, retry: { ...retry, nonRetryableErrorTypes: [...NON_RETRYABLE_ERRORS, ...alsoNonRetryable] } });

/** The failure type the TS SDK reports for an activity interrupted by a pause (Web UI, `temporal activity pause`). */
export const ACTIVITY_PAUSED = 'ActivityPause';
/** A watch no worker starts within this long is lost (per attempt). */
export const WATCH_START_SECONDS = 30;
/** The heartbeat silence a watch's retries may spend before the workflow hears of it. */
const WATCH_SILENCE_SECONDS = 50;

/** The proxies a region's workflow uses; `taskQueue` routes them to a worker inside the region. */
export function regionActivities(taskQueue?: string) {
  // A region whose worker is down must fail (and roll back) rather than wait forever.
  const on: Placement = taskQueue ? { taskQueue, scheduleToStartTimeout: '5 minutes' } : {};
  // Deploys are slow and disruptive: few attempts, backoff, heartbeats to notice a dead worker fast.
  const { deploy } = proxy<ports.DeployActivities>(
    on,
    { startToCloseTimeout: '20 minutes', heartbeatTimeout: '30 seconds' },
    { maximumAttempts: 3, initialInterval: '10 seconds', backoffCoefficient: 2 },
  );
  // Weights must change now, or the region is rolled back: quick attempts.
  const { readTrafficWeights, setTrafficWeights } = proxy<ports.TrafficActivities>(
    on,
    { startToCloseTimeout: '30 seconds' },
    { maximumAttempts: 5, initialInterval: '1 second', maximumInterval: '10 seconds' },
  );
  // DNS honours the provider's 429 Retry-After (the activity sets nextRetryDelay); bounded overall.
  const { pointDnsAt } = proxy<ports.DnsActivities>(
    on,
    { startToCloseTimeout: '30 seconds', scheduleToCloseTimeout: '10 minutes' },
    { initialInterval: '2 seconds', maximumInterval: '1 minute' },
  );
  // The baseline needs a fresh answer: fast retries, then "unavailable", which is a breach.
  const { readMetrics, checkMetrics } = proxy<ports.MetricsActivities>(
    on,
    { startToCloseTimeout: '15 seconds' },
    { maximumAttempts: 3, initialInterval: '1 second', maximumInterval: '3 seconds' },
  );
  const { pushStageMetrics } = proxy<ports.MetricsActivities>(
    on,
    { startToCloseTimeout: '10 seconds' },
    { maximumAttempts: 2, initialInterval: '1 second' },
  );
  return {
    deploy,
    readTrafficWeights,
    setTrafficWeights,
    pointDnsAt,
    readMetrics,
    checkMetrics,
    pushStageMetrics,
    watchPeriod: watchActivity(on),
    ...reporting(),
  };
}

/**
 * A watched period is one long activity sized to the period: it heartbeats every poll, so a dead
 * worker is noticed within the heartbeat timeout and the retry resumes from the last heartbeat.
 * Abort cancels it without waiting (TRY_CANCEL): the rollback starts at once.
 * A silent watch reaches the workflow within a minute, which holds the region: a pause fails it at
 * its next heartbeat (the server schedules no retry of a paused activity, so the failure is made
 * non-retryable); a lost one once its retries have spent WATCH_SILENCE_SECONDS of heartbeat
 * timeouts, or when no worker starts it within WATCH_START_SECONDS.
 */
function watchActivity(on: Placement) {
  return (req: WatchRequest): Promise<WatchResult> => {
    const periodMs = Math.max(0, Date.parse(req.endsAt) - Date.parse(req.startedAt));
    // Sized to the longest the period may run: an inconclusive or suspect one is extended up to maxExtension ×.
    const longest = longestMs(req);
    const heartbeatSeconds = Math.max(15, 3 * req.pollSeconds);
    const timeouts = {
      startToCloseTimeout: longest + 2 * 60_000,
      scheduleToCloseTimeout: longest + 15 * 60_000,
      heartbeatTimeout: heartbeatSeconds * 1000,
    };
    const retry = {
      initialInterval: '1 second',
      maximumInterval: '10 seconds',
      maximumAttempts: Math.max(1, Math.floor(WATCH_SILENCE_SECONDS / heartbeatSeconds)),
    };
    const { watchPeriod } = proxy<ports.WatchActivities>(
      { ...on, scheduleToStartTimeout: `${WATCH_START_SECONDS} seconds` },
      timeouts,
      retry,
      [ACTIVITY_PAUSED],
    );
    // A hold continues its period (startedAt is the period's); one ending now is the poll after a resume.
    const what = !req.hold
      ? `watch ${span(periodMs)}`
      : Date.parse(req.endsAt) <= Date.now()
        ? 'last poll of the hold'
        : 'hold while paused';
    return watchPeriod.executeWithOptions({ summary: `${req.ctx.region} ${req.phase}: ${what}` }, [req]);
  };
}

/** "5 min", "90 s": a period's length for a summary. */
const span = (ms: number): string => (ms >= 120_000 ? `${Math.round(ms / 60_000)} min` : `${Math.round(ms / 1000)} s`);

/** Cards and annotations are best effort: a small budget, and callers ignore their failures. */
function reporting(): ports.NotifyActivities {
  const { notify, annotate } = proxy<ports.NotifyActivities>(
    {},
    { startToCloseTimeout: '30 seconds' },
    { maximumAttempts: 3, initialInterval: '2 seconds', maximumInterval: '10 seconds' },
  );
  return { notify, annotate };
}

export function rolloutActivities() {
  const { countSuccessfulDelayedRollouts } = proxy<ports.PolicyActivities>(
    {},
    { startToCloseTimeout: '30 seconds' },
    { maximumAttempts: 3, initialInterval: '1 second' },
  );
  // Answers from the worker's config in memory: quick, and safe to retry (it changes nothing).
  const retry = { initialInterval: '1 second', maximumInterval: '10 seconds' };
  const { workerSetup } = proxy<ports.SetupActivities>({}, { startToCloseTimeout: '10 seconds' }, retry);
  // The same question with the request (the worker parses it), as a local activity: answered within
  // the rollout's first workflow task, whose handlers are registered before it asks.
  const { workerSetup: admission } = proxyLocalActivities<ports.SetupActivities>({ startToCloseTimeout: '10 seconds', retry });
  return { countSuccessfulDelayedRollouts, workerSetup, admission, ...reporting() };
}

export type RegionActivities = ReturnType<typeof regionActivities>;
