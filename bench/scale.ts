// `npm run bench -- scale [--json] [--rollouts N] [--time-scale S] [--default-malloc] [--heap-mb M]
// [--memory-log] [--sdk-defaults]`: N concurrent delayed 3-region rollouts on ONE worker process (startWorker with
// its default limits; see test/helpers/stub-worker.ts) against a dev server of its own. The watch activity is the real one
// over an in-process provider that always reads healthy; deploy, weights, DNS, reports and cards
// are stubs that take 20–100 ms. Measures completions, wall time, the worker process's RSS and
// how long activity attempts waited to start (taken in the activity from its attempt's schedule
// time). The worker starts with the readiness checklist's MALLOC_MMAP_THRESHOLD_ (MALLOC_ENV);
// --default-malloc leaves glibc's default. --heap-mb runs it with node's --max-old-space-size;
// --memory-log prints its memory every 30 s on stderr; --sdk-defaults runs the same worker with
// the SDK's own limits: the "before" figures.
import { getHeapStatistics } from 'node:v8';
import type { WorkflowHandle } from '@temporalio/client';
import { rolloutWorkflowId, WORKFLOW_TYPES } from '../domain/contract.js';
import type { RolloutResult } from '../domain/outcome.js';
import { DEFAULT_REGIONS, DEFAULT_STAGES, type RolloutRequest } from '../domain/rollout-input.js';
import { workflowBundle } from '../workers/bundle.js';
import { WORKER_LIMITS, type WorkerLimits } from '../workers/worker.js';
import { waitUntil } from '../test/helpers/services.js';
import { spawnWorker, STUB_WORKER } from '../test/helpers/worker-process.js';
import { intOption, percentile, runTag, table } from './report.js';
import { startBenchServer } from './temporal.js';

const TASK_QUEUE = 'bench-scale';
const REGIONS = [...DEFAULT_REGIONS];
/** The SDK's own defaults (1.24) for what startWorker sets: the "before" worker. Its cache follows the heap limit. */
const SDK_LIMITS: WorkerLimits = {
  maxConcurrentActivityTaskExecutions: 100,
  maxConcurrentWorkflowTaskExecutions: 40,
  maxHeartbeatThrottleInterval: '60 seconds',
  maxCachedWorkflows: Math.max(Math.floor(((getHeapStatistics().heap_size_limit / 2 ** 20 - 200) * 600) / 1024), 10),
};
/**
 * glibc serves allocations of 64 KiB and more with their own mappings, returned when freed: by
 * default it raises that threshold as big blocks are freed, then keeps them in its arenas, and the
 * worker's RSS held hundreds of MB of freed memory (docs/BENCHMARKS.md).
 */
const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: '65536' };
/** Nominal minutes of one rollout: 3 × (50 min of stages + 5 min validation) + 2 × 30 min observation. */
const ROLLOUT_MINUTES = 3 * 55 + 2 * 30;

/** Runs `f` over `items`, at most `n` at a time. */
async function inBatches<T, R>(items: T[], n: number, f: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += n) out.push(...(await Promise.all(items.slice(i, i + n).map(f))));
  return out;
}

interface WorkerStats {
  rssMaxMiB: number;
  waits: number[];
}

export async function run(args: string[]): Promise<{ table: string; json: unknown }> {
  const rollouts = intOption(args, '--rollouts', 500);
  const scaleAt = args.indexOf('--time-scale');
  // A 9-minute rollout: on 2 shared cores 500 rollouts at 0.01 (2.3 min) outrun the worker and dev server.
  const timeScale = scaleAt >= 0 ? Number(args[scaleAt + 1]) : 0.04;
  const sdkDefaults = args.includes('--sdk-defaults');
  const limits = sdkDefaults ? SDK_LIMITS : {};
  const heapMb = args.includes('--heap-mb') ? intOption(args, '--heap-mb', 0) : undefined;
  const defaultMalloc = args.includes('--default-malloc');
  const tag = runTag();
  // The worker loads the cached bundle (built here if missing): bundling stays out of its memory.
  const [temporal] = await Promise.all([startBenchServer(), workflowBundle()]);
  const workerEnv = {
    TEMPORAL_ADDRESS: temporal.server.address,
    TEMPORAL_NAMESPACE: 'default',
    MERIDIAN_TASK_QUEUE: TASK_QUEUE,
    STUB_LATENCY_MS: '20-100',
    STUB_LIMITS: JSON.stringify(limits),
    ...(heapMb ? { NODE_OPTIONS: `--max-old-space-size=${heapMb}` } : {}),
    ...(args.includes('--memory-log') ? { STUB_MEMORY_LOG: '1' } : {}),
    ...(defaultMalloc ? {} : MALLOC_ENV),
  };
  const worker = spawnWorker(workerEnv, STUB_WORKER);
  const killWorker = () => void worker.kill();
  process.once('exit', killWorker);
  worker.child.stderr!.on('data', (c: Buffer) =>
    c
      .toString()
      .split('\n')
      .filter((l) => l.startsWith('memory '))
      .forEach((l) => process.stderr.write(`worker ${l}\n`)),
  );
  let results: (RolloutResult | undefined)[];
  let wallSeconds: number;
  let stats: WorkerStats | undefined;
  try {
    await waitUntil(
      'the worker to poll',
      async () => worker.stdout().includes('"polling"') || worker.child.exitCode !== null,
      120_000,
      200,
    );
    if (worker.child.exitCode !== null) throw new Error(`the worker exited: ${worker.stderr()}`);
    const started = Date.now();
    const request = (n: number): RolloutRequest & { service: string } => ({
      service: `bench-scale-${tag}-${n}`,
      version: 'v1.12.3',
      artifact: { url: 'https://artifacts.example/app-v1.12.3.tgz', sha256: 'a'.repeat(64) },
      regions: REGIONS,
      strategy: 'delayed',
      delayBetweenRegionsMinutes: 30,
      stages: DEFAULT_STAGES,
      pollSeconds: 1,
      timeScale,
    });
    const handles: WorkflowHandle[] = await inBatches([...Array(rollouts).keys()], 50, (n) => {
      const req = request(n);
      return temporal.client.workflow.start(WORKFLOW_TYPES.rollout, {
        taskQueue: TASK_QUEUE,
        workflowId: rolloutWorkflowId(req.service),
        args: [req],
      });
    });
    // Give up on rollouts still running long after their nominal length.
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<undefined>(
      (resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(120_000, ROLLOUT_MINUTES * 60_000 * timeScale * 4))),
    );
    results = await inBatches(handles, 100, (h) => Promise.race([h.result() as Promise<RolloutResult>, deadline]).catch(() => undefined));
    clearTimeout(timer);
    wallSeconds = Math.round((Date.now() - started) / 100) / 10;
    worker.child.kill('SIGTERM');
    await worker.exited;
    stats = worker.logs().find((l) => l.event === 'stopped') as unknown as WorkerStats | undefined;
    if (!stats) throw new Error(`the worker did not report its stats: ${worker.stderr().slice(-2000)}`);
  } finally {
    process.off('exit', killWorker);
    await worker.kill();
    await temporal.close();
  }
  const completed = results.filter((r) => r?.outcome === 'succeeded').length;
  const { waits, rssMaxMiB: workerRssMiB } = stats;
  const p99 = percentile(waits, 99);
  const shown = { ...WORKER_LIMITS, ...limits };
  const row = [
    sdkDefaults ? 'SDK defaults' : 'startWorker defaults',
    rollouts,
    completed,
    wallSeconds,
    workerRssMiB,
    percentile(waits, 50),
    p99,
    Math.max(...waits),
    waits.length,
  ];
  const head = [
    `scale bench: ${rollouts} concurrent delayed rollouts over ${REGIONS.join(' → ')} (${ROLLOUT_MINUTES} min nominal, ` +
      `timeScale ${timeScale}: ${(ROLLOUT_MINUTES * timeScale).toFixed(1)} min), pollSeconds 1, on one worker process and a dev server`,
    `worker: ${Object.entries(shown)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ')}${heapMb ? `, --max-old-space-size=${heapMb}` : ''}${
      defaultMalloc
        ? ''
        : `, ${Object.entries(MALLOC_ENV)
            .map(([k, v]) => `${k}=${v}`)
            .join(' ')}`
    }; stub activities 20–100 ms; the real watch activity over an in-process healthy provider`,
  ].join('\n');
  return {
    table: [
      head,
      '',
      table(
        ['worker limits', 'rollouts', 'completed', 'wall s', 'RSS MiB (max)', 'sched→start p50 ms', 'p99 ms', 'max ms', 'attempts'],
        [row],
      ),
    ].join('\n'),
    json: { rollouts, completed, wallSeconds, workerRssMiB, activityScheduleToStartP99Ms: p99 },
  };
}
