// `npm run bench -- rollback [--json] [--trials N] [--rate R] [--time-scale S]`: fault to rollback
// in the lab. Per trial: a one-region rollout (default stages, checkIntervalSeconds 30, pollSeconds 1)
// of a release that is healthy when deployed; while its first canary stage runs, the release's
// error-rate fault is injected through the lab's fault agent (timestamped in .lab/faults.jsonl),
// and HAProxy's runtime API is read every 50 ms until green's weight is 0.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@temporalio/client';
import { rolloutWorkflowId, WORKFLOW_TYPES } from '../domain/contract.js';
import type { RolloutResult } from '../domain/outcome.js';
import { DEFAULT_STAGES, type RolloutRequest } from '../domain/rollout-input.js';
import { parseWorkerConfig } from '../activities/config.js';
import { PROJECT_ROOT } from '../lab/temporal-binaries.js';
import { startWorker } from '../workers/worker.js';
import { releaseFiles, restartCommand, type ReleaseFaults } from '../lab/fault-agent.js';
import { LAB_REGIONS, startLab, type MultiRegionLab } from '../lab/lab.js';
import { startLoad } from '../lab/load.js';
import { waitUntil } from '../test/helpers/services.js';
import { intOption, percentile, runTag, sleep, table } from './report.js';
import { startBenchServer } from './temporal.js';

const CHECK_INTERVAL_SECONDS = 30;
const POLL_SECONDS = 1;
const ERROR_RATE_PCT = 20;
const TASK_QUEUE = 'bench-rollback';
/** HAProxy's weights are read this often while waiting for the drain. */
const READ_EVERY_MS = 50;
/** The fault lands this long after the canary stage took traffic: a random phase against the 1 s polls. */
const INJECT_AFTER_MS = [2_000, 6_000] as const;
/** The measurement of the per-check design (6 s checks, 12 trials): the check interval + 0.25 s. */
const BEFORE = '6.23–6.29 s at 6 s checks (≈ checkIntervalSeconds + 0.25 s, so ≈ 30 s at 30 s)';

interface Trial {
  region: string;
  injectedAt: number;
  drainedAt?: number;
  outcome: string;
  breach?: string;
}

const run$ = promisify(execFile);

/** Injects the fault the way a deploy does: the release's restartCommand, run from a dir holding its files. */
async function inject(lab: MultiRegionLab, region: string, version: string): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'meridian-fault-'));
  const faults: ReleaseFaults = { default: { errorRatePct: ERROR_RATE_PCT } };
  try {
    for (const [name, content] of Object.entries(releaseFiles(version, faults))) writeFileSync(join(dir, name), content);
    const before = lab.faults.injections.length;
    await run$('sh', ['-c', restartCommand(lab.faults.url, region, 'green')], { cwd: dir });
    const injection = lab.faults.injections.slice(before).find((i) => i.region === region && i.colour === 'green');
    if (!injection) throw new Error(`the fault agent recorded no injection for ${region}/green`);
    return Date.parse(injection.time);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Reads green's weight until `done(green)`; the time it first held. */
async function greenWeightUntil(
  lab: MultiRegionLab,
  region: string,
  done: (green: number) => boolean,
  timeoutMs: number,
): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const w = await lab.weights(region).catch(() => undefined);
    const at = Date.now();
    if (w && done(w.green)) return at;
    await sleep(READ_EVERY_MS);
  }
  return undefined;
}

async function trial(lab: MultiRegionLab, client: Client, region: string, n: number, tag: string, timeScale: number): Promise<Trial> {
  // The last trial here left errors in green's rate window: start once they aged out.
  await waitUntil(
    `${region} green's errors to leave the rate window`,
    async () => ((await lab.observedErrorRate(region, 'green')) ?? 0) === 0,
    60_000,
    500,
  );
  const service = `bench-rollback-${tag}-${n}`;
  const version = `v2.0.${n}-${tag}`;
  const request: RolloutRequest = {
    service,
    version,
    artifact: lab.release(version, { default: {} }),
    regions: [region],
    strategy: 'delayed',
    stages: DEFAULT_STAGES,
    checkIntervalSeconds: CHECK_INTERVAL_SECONDS,
    pollSeconds: POLL_SECONDS,
    timeScale,
  };
  const handle = await client.workflow.start(WORKFLOW_TYPES.rollout, {
    taskQueue: TASK_QUEUE,
    workflowId: rolloutWorkflowId(service),
    args: [request],
  });
  const stageMs = DEFAULT_STAGES[0]!.durationMinutes * 60_000 * timeScale;
  try {
    const canaryAt = await greenWeightUntil(lab, region, (g) => g > 0, 120_000);
    if (!canaryAt) throw new Error(`${service}: the canary stage never took traffic`);
    await sleep(INJECT_AFTER_MS[0] + Math.random() * (INJECT_AFTER_MS[1] - INJECT_AFTER_MS[0]));
    const injectedAt = await inject(lab, region, version);
    const drainedAt = await greenWeightUntil(lab, region, (g) => g === 0, stageMs * 2);
    const result = (await handle.result()) as RolloutResult;
    const r = result.regions[region];
    return {
      region,
      injectedAt,
      ...(drainedAt ? { drainedAt } : {}),
      outcome: r?.outcome ?? result.outcome,
      ...(r?.breach ? { breach: r.breach.cause } : {}),
    };
  } catch (err) {
    await handle.cancel().catch(() => undefined);
    throw err;
  }
}

export async function run(args: string[]): Promise<{ table: string; json: unknown }> {
  const trials = intOption(args, '--trials', 20);
  const rate = intOption(args, '--rate', 50);
  const scaleAt = args.indexOf('--time-scale');
  // 5-minute stages last 15 s: room to inject 2–6 s in and see the rollback well before the stage ends.
  const timeScale = scaleAt >= 0 ? Number(args[scaleAt + 1]) : 0.05;
  const tag = runTag();
  const labDir = join(PROJECT_ROOT, '.lab');
  const regions = [...LAB_REGIONS];
  const [temporal, lab] = await Promise.all([
    startBenchServer(),
    startLab({ dir: join(labDir, `bench-rollback-${process.pid}`), faultsLog: join(labDir, 'faults.jsonl'), regions }),
  ]);
  const load = startLoad(Object.fromEntries(regions.map((r) => [r, lab.regions[r]!.haproxy.url])), { ratePerSecond: rate });
  const results: Trial[] = [];
  try {
    const { config } = parseWorkerConfig(lab.config, lab.secrets, { source: 'rollback bench lab' });
    const worker = await startWorker({
      config,
      env: lab.secrets,
      connection: temporal.connection,
      client: temporal.client,
      taskQueue: TASK_QUEUE,
      shutdownGraceMs: 2_000,
    });
    try {
      await waitUntil(
        'a baseline for blue in Prometheus',
        async () => (await Promise.all(regions.map((r) => lab.observedErrorRate(r, 'blue')))).every((v) => v === 0),
        60_000,
        250,
      );
      // Regions take turns, so each one's rate window forgets the last fault before its next trial.
      for (let n = 0; n < trials; n++) results.push(await trial(lab, temporal.client, regions[n % regions.length]!, n, tag, timeScale));
    } finally {
      await worker.shutdown();
    }
  } finally {
    await load.stop();
    await Promise.allSettled([lab.stop(), temporal.close()]);
  }
  return summarise(results, { rate, timeScale });
}

function summarise(results: Trial[], o: { rate: number; timeScale: number }): { table: string; json: unknown } {
  // A trial that never drained counts as infinitely slow (null in JSON), not as a missing sample.
  const ms = results.map((t) => (t.drainedAt === undefined ? Infinity : t.drainedAt - t.injectedAt));
  const missed = ms.filter((x) => x === Infinity).length;
  const [p50, p95, max] = [percentile(ms, 50), percentile(ms, 95), Math.max(...ms)];
  const wrong = results.filter((t) => t.outcome !== 'rolled_back' || !/error rate/.test(t.breach ?? ''));
  const head = [
    `rollback bench: ${results.length} trials over ${LAB_REGIONS.join(', ')} in turn; checkIntervalSeconds ${CHECK_INTERVAL_SECONDS}, ` +
      `pollSeconds ${POLL_SECONDS}, timeScale ${o.timeScale}; Prometheus scrapes every 1 s (10 s rate window)`,
    `fault: ${ERROR_RATE_PCT} % errors on green, injected ${INJECT_AFTER_MS[0] / 1000}–${INJECT_AFTER_MS[1] / 1000} s ` +
      `into the ${DEFAULT_STAGES[0]!.weightPct} % stage; load ${o.rate} req/s per region; weights read every ${READ_EVERY_MS} ms`,
  ].join('\n');
  const s = (x: number) => (x / 1000).toFixed(2);
  const rows = [
    ['before (per-check design)', '–', '–', BEFORE],
    [
      'after (watch activity)',
      s(p50),
      s(p95),
      `max ${s(max)} s; min ${s(Math.min(...ms))} s; ${missed} not drained; ${wrong.length} not rolled back on error rate`,
    ],
  ];
  const perTrial = results.map((t, i) => `${i + 1}:${t.drainedAt ? s(t.drainedAt - t.injectedAt) : 'none'}`).join(' ');
  return {
    table: [head, '', table(['fault → green weight 0', 'p50 s', 'p95 s', 'notes'], rows), '', `per trial (s): ${perTrial}`].join('\n'),
    json: { trials: results.length, checkIntervalSeconds: CHECK_INTERVAL_SECONDS, p50Ms: p50, p95Ms: p95, maxMs: max },
  };
}
