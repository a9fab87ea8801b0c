// `npm run bench -- history [--json]`: history events per region child of the default delayed
// 3-region rollout (DEFAULT_STAGES, 90-min observation windows) on the time-skipping server with
// stub activities, at 30 s and at 5 s checks. "Before" comes from the history the per-check design
// recorded (test/fixtures/histories/delayed-success.json as of commit ae5255e, 30 s checks, read
// from git): every check there costs a timer, a readMetrics activity and two workflow tasks; the
// rest is fixed.
import { execFileSync } from 'node:child_process';
import { Worker } from '@temporalio/worker';
import { regionWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../domain/contract.js';
import { checksIn, FINAL_VALIDATION_MINUTES } from '../domain/plan.js';
import { DEFAULT_DELAY_MINUTES, DEFAULT_REGIONS, DEFAULT_STAGES, type RolloutRequest } from '../domain/rollout-input.js';
import { workflowBundle } from '../workers/bundle.js';
import { PROJECT_ROOT } from '../lab/temporal-binaries.js';
import { StubWorld } from '../test/helpers/stub-world.js';
import { createTimeSkippingEnv } from '../test/helpers/temporal.js';
import { intOption, runTag, table } from './report.js';

/** The last commit whose delayed-success fixture was recorded by the per-check design. */
const FIXTURE_COMMIT = 'ae5255ee1d8edfe368452d67cd86b3f741d7db0f';
const FIXTURE_PATH = 'test/fixtures/histories/delayed-success.json';
const FIXTURE_CHECK_SECONDS = 30;
/** Per check in the old design: TimerStarted/Fired, readMetrics Scheduled/Started/Completed, 2 × 3 workflow task events. */
const EVENTS_PER_CHECK = 11;
const REGIONS = [...DEFAULT_REGIONS];

interface Events {
  events: number;
  bytes: number;
}
interface Case {
  checkIntervalSeconds: number;
  maxEventsPerRegion: number;
  perRegion: Record<string, Events>;
  /** Undefined when the recorded fixture could not be read. */
  before?: { maxEventsPerRegion: number; recorded: boolean };
}

/** An event as the fixture's proto3 JSON or fetchHistory() has it: only what is counted. */
type JsonEvent = { eventType?: unknown; workflowTaskStartedEventAttributes?: { historySizeBytes?: unknown } | null };

/** Events, and the history size the server last reported (historySizeBytes of the last workflow task). */
function measure(events: JsonEvent[]): Events {
  const sizes = events.map((e) => e.workflowTaskStartedEventAttributes?.historySizeBytes).filter((s) => s !== undefined && s !== null);
  return { events: events.length, bytes: Number(String(sizes.at(-1) ?? 0)) };
}

/** Checks one region child makes over its stages, final validation and (all but the last) observation window. */
function checksPerRegion(checkIntervalSeconds: number, observing: boolean): number {
  const windows = [
    ...DEFAULT_STAGES.map((s) => s.durationMinutes),
    FINAL_VALIDATION_MINUTES,
    ...(observing ? [DEFAULT_DELAY_MINUTES] : []),
  ];
  return windows.reduce((n, m) => n + checksIn(m, checkIntervalSeconds), 0);
}

type Recorded = { workflowId: string; history: { events: JsonEvent[] } }[];

/** The per-check fixture, from git (undefined without the repository's history, e.g. a shallow clone). */
function recordedFixture(): Recorded | undefined {
  try {
    const text = execFileSync('git', ['show', `${FIXTURE_COMMIT}:${FIXTURE_PATH}`], {
      cwd: PROJECT_ROOT,
      maxBuffer: 64 * 2 ** 20,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return JSON.parse(text.toString('utf8')) as Recorded;
  } catch {
    return undefined;
  }
}

/** The old design's largest region child: as recorded at 30 s, projected from its fixed part at other intervals. */
function before(recorded: Recorded | undefined, checkIntervalSeconds: number): Case['before'] {
  if (!recorded) return undefined;
  const child = recorded
    .filter((w) => REGIONS.some((r) => w.workflowId.endsWith(`-${r}`)))
    .sort((a, b) => b.history.events.length - a.history.events.length)[0]!;
  const events = child.history.events.length;
  const timers = child.history.events.filter((e) => e.eventType === 'EVENT_TYPE_TIMER_STARTED').length;
  if (timers !== checksPerRegion(FIXTURE_CHECK_SECONDS, true))
    throw new Error(`${FIXTURE_PATH}: ${timers} timers, not one per check: the fixture is not the per-check design`);
  if (checkIntervalSeconds === FIXTURE_CHECK_SECONDS) return { maxEventsPerRegion: events, recorded: true };
  const fixed = events - EVENTS_PER_CHECK * timers;
  return { maxEventsPerRegion: fixed + EVENTS_PER_CHECK * checksPerRegion(checkIntervalSeconds, true), recorded: false };
}

export async function run(args: string[]): Promise<{ table: string; json: unknown }> {
  const intervals = [intOption(args, '--slow', 30), intOption(args, '--fast', 5)];
  const started = Date.now();
  const recorded = recordedFixture();
  const bundle = await workflowBundle();
  const env = await createTimeSkippingEnv();
  const cases: Case[] = [];
  try {
    for (const checkIntervalSeconds of intervals) {
      const service = `bench-history-${checkIntervalSeconds}s-${runTag()}`;
      const taskQueue = `bench-history-${service}`;
      const world = new StubWorld(REGIONS);
      const worker = await Worker.create({
        connection: env.nativeConnection,
        namespace: 'default',
        taskQueue,
        workflowBundle: bundle,
        activities: world.activities(),
      });
      const request: RolloutRequest = {
        service,
        version: 'v1.12.3',
        artifact: { url: `https://artifacts.example/${service}.tgz`, sha256: 'a'.repeat(64) },
        regions: REGIONS,
        strategy: 'delayed',
        stages: DEFAULT_STAGES,
        checkIntervalSeconds,
      };
      const result = await worker.runUntil(async () => {
        const handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, {
          taskQueue,
          workflowId: rolloutWorkflowId(service),
          args: [request],
        });
        return (await handle.result()) as { outcome: string };
      });
      if (result.outcome !== 'succeeded') throw new Error(`the ${checkIntervalSeconds} s rollout ended ${result.outcome}`);
      const perRegion: Record<string, Events> = {};
      for (const r of REGIONS)
        perRegion[r] = measure((await env.client.workflow.getHandle(regionWorkflowId(service, r)).fetchHistory()).events ?? []);
      cases.push({
        checkIntervalSeconds,
        maxEventsPerRegion: Math.max(...Object.values(perRegion).map((e) => e.events)),
        perRegion,
        before: before(recorded, checkIntervalSeconds),
      });
    }
  } finally {
    await env.teardown();
  }
  const wallSeconds = Math.round((Date.now() - started) / 100) / 10;
  return {
    table: render(cases),
    json: {
      cases: cases.map((c) => ({ checkIntervalSeconds: c.checkIntervalSeconds, maxEventsPerRegion: c.maxEventsPerRegion })),
      wallSeconds,
    },
  };
}

function render(cases: Case[]): string {
  const stages = DEFAULT_STAGES.map((s) => `${s.weightPct}%/${s.durationMinutes}m`).join(' → ');
  const head =
    `history bench: default delayed rollout over ${REGIONS.join(' → ')}, stages ${stages}, ` +
    `final validation ${FINAL_VALIDATION_MINUTES}m, observation ${DEFAULT_DELAY_MINUTES}m; time-skipping server, stub activities`;
  const rows = cases.map((c) => [
    c.checkIntervalSeconds,
    c.before
      ? `${c.before.maxEventsPerRegion.toLocaleString('en-US')}${c.before.recorded ? ' (recorded)' : ' (projected)'}`
      : 'n/a (no git history)',
    ...REGIONS.map((r) => `${c.perRegion[r]!.events} (${(c.perRegion[r]!.bytes / 1024).toFixed(0)} KiB)`),
    c.maxEventsPerRegion,
  ]);
  const note =
    `before: the per-check design, from ${FIXTURE_PATH} at ${FIXTURE_COMMIT.slice(0, 7)} ` +
    `(projected: its fixed part + ${EVENTS_PER_CHECK} events per check)`;
  return [
    head,
    '',
    table(['check s', 'before: max events/region', ...REGIONS.map((r) => `${r} events (size)`), 'after: max events/region'], rows),
    '',
    note,
  ].join('\n');
}
