// A Meridian worker as an OS process for the drills and the scale bench (spawnWorker(env, STUB_WORKER)):
// startWorker with its default limits and workflow bundle, over stub vendors and the
// real watch activity (stub-vendors.ts). Each activity attempt is appended to STUB_CALLS_LOG as it
// starts, and a watch again as it returns (a file, so it survives kill -9). On SIGTERM it drains, then prints one JSON line with its
// RSS peak and how long every attempt waited between scheduling and starting.
//
// Env: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, MERIDIAN_TASK_QUEUE, MERIDIAN_WORKFLOW_BUNDLE (a path;
// default the cached bundle), STUB_REGIONS (a,b,c), STUB_LATENCY_MS ("20-100"), STUB_CALLS_LOG
// (path), STUB_LIMITS (JSON, overrides of WORKER_LIMITS).
import { appendFileSync } from 'node:fs';
import { Context } from '@temporalio/activity';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import type { MeridianActivities, TrafficWeights } from '../../domain/ports.js';
import { DEFAULT_REGIONS } from '../../domain/rollout-input.js';
import { startWorker, type WorkerLimits } from '../../workers/worker.js';
import { unusedConfig } from './stub-config.js';
import { stubVendorActivities, type Latency } from './stub-vendors.js';

/** One line of STUB_CALLS_LOG. */
export interface StubCall {
  name: string;
  region?: string;
  attempt: number;
  /** The worker process that ran the attempt (its pid, as in its `polling` line and Temporal identity). */
  pid: number;
  at: number;
  /** setTrafficWeights: the weights; watchPeriod: the phase and the heartbeat details it resumed from. */
  weights?: TrafficWeights;
  phase?: string;
  resumedFrom?: { polls: number };
  /** A watch's second line: the attempt returned, after this many polls in all (its result's). */
  done?: true;
  polls?: number;
}

const env = process.env;
const say = (o: object) => process.stdout.write(`${JSON.stringify(o)}\n`);
const mib = (m: NodeJS.MemoryUsage) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, Math.round(v / 2 ** 20)]));

/** Wraps each activity: record its attempt (and how long it waited to start) before it runs. */
function recorded(acts: MeridianActivities, waits: number[], log?: string): MeridianActivities {
  const wrap =
    (name: string, f: (...a: unknown[]) => Promise<unknown>) =>
    (...args: unknown[]) => {
      const info = Context.current().info;
      waits.push(Date.now() - info.currentAttemptScheduledTimestampMs);
      if (log) {
        const first = args[0] as { region?: string; ctx?: { region: string }; phase?: string } | undefined;
        const call: StubCall = {
          name,
          region: first?.region ?? first?.ctx?.region,
          attempt: info.attempt,
          pid: process.pid,
          at: Date.now(),
        };
        if (name === 'setTrafficWeights') call.weights = args[1] as StubCall['weights'];
        if (name === 'watchPeriod')
          Object.assign(call, { phase: first?.phase, resumedFrom: info.heartbeatDetails as StubCall['resumedFrom'] });
        appendFileSync(log, `${JSON.stringify(call)}\n`);
        if (name === 'watchPeriod') {
          return f(...args).then((result) => {
            appendFileSync(log, `${JSON.stringify({ ...call, at: Date.now(), done: true, polls: (result as { polls: number }).polls })}\n`);
            return result;
          });
        }
      }
      return f(...args);
    };
  return Object.fromEntries(
    Object.entries(acts).map(([k, f]) => [k, wrap(k, f as (...a: unknown[]) => Promise<unknown>)]),
  ) as unknown as MeridianActivities;
}

async function main(): Promise<void> {
  // Core's own warnings go through the same logger (stderr): stdout carries only this script's JSON lines.
  Runtime.install({
    logger: new DefaultLogger('WARN'),
    shutdownSignals: ['SIGTERM', 'SIGINT'],
    telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } } },
  });
  const regions = env.STUB_REGIONS?.split(',') ?? [...DEFAULT_REGIONS];
  const latency = (env.STUB_LATENCY_MS?.split('-').map(Number) ?? [0, 0]) as unknown as Latency;
  const limits = env.STUB_LIMITS ? (JSON.parse(env.STUB_LIMITS) as Partial<WorkerLimits>) : {};
  const waits: number[] = [];
  let rssMax = 0;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 500);
  // STUB_MEMORY_LOG=1: the process's memory every 30 s on stderr (main heap vs the rest: the workflow thread, Core).
  const memoryLog = env.STUB_MEMORY_LOG
    ? setInterval(() => process.stderr.write(`memory ${JSON.stringify(mib(process.memoryUsage()))}\n`), 30_000)
    : undefined;
  const address = env.TEMPORAL_ADDRESS!;
  const [connection, clientConnection] = await Promise.all([NativeConnection.connect({ address }), Connection.connect({ address })]);
  const { config, secrets } = unusedConfig(regions);
  const running = await startWorker({
    config,
    env: secrets,
    connection,
    client: new Client({ connection: clientConnection, namespace: env.TEMPORAL_NAMESPACE }),
    namespace: env.TEMPORAL_NAMESPACE,
    taskQueue: env.MERIDIAN_TASK_QUEUE,
    ...(env.MERIDIAN_WORKFLOW_BUNDLE ? { workflowBundle: { codePath: env.MERIDIAN_WORKFLOW_BUNDLE } } : {}),
    activityOverrides: recorded(stubVendorActivities(regions, latency), waits, env.STUB_CALLS_LOG),
    limits,
    shutdownGraceMs: 2_000,
  });
  say({ event: 'polling', pid: process.pid, limits });
  await running.done;
  clearInterval(sampler);
  clearInterval(memoryLog);
  await Promise.allSettled([connection.close(), clientConnection.close()]);
  say({ event: 'stopped', rssMaxMiB: Math.round(Math.max(rssMax, process.memoryUsage().rss) / 2 ** 20), waits });
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`stub worker failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
