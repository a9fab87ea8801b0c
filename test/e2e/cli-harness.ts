// Shared by the CLI end-to-end tests: a worker on the dev server running the real workflows over
// stub worlds (one per service, so rollouts of different services never share weights), and a
// runner for the real `meridian` CLI as a child process.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { admitting } from '../../activities/admission.js';
import type { MeridianActivities } from '../../domain/ports.js';
import type { RolloutRequest } from '../../domain/rollout-input.js';
import { ensureTemporalBinaries } from '../../lab/temporal-binaries.js';
import { StubWorld } from '../helpers/stub-world.js';
import { devServerEnv } from '../helpers/temporal.js';
import { workerOn } from '../workflows/harness.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const SHA = 'a'.repeat(64);

type Pace = Required<Pick<RolloutRequest, 'stages' | 'checkIntervalSeconds' | 'timeScale'>>;
/** A canary stage at `firstPct` then 100 %, each `minutes` long, with the default table's first and last limits. */
const twoStages = (firstPct: number, minutes: number): Pace['stages'] => [
  { weightPct: firstPct, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: minutes },
  { weightPct: 100, maxErrorRatePct: 0.2, maxLatencyMs: 300, durationMinutes: minutes },
];
/** Hour-long stages, checks 10 min (6 s scaled) apart: a region holds at 10 % while the commands run. */
export const HOLD_AT_10: Pace = { stages: twoStages(10, 60), checkIntervalSeconds: 600, timeScale: 0.01 };
/** Minute-long stages, 60 s checks at timeScale 0.002 (120 ms timers): seconds per region. */
export const QUICK: Pace = { stages: twoStages(25, 1), checkIntervalSeconds: 60, timeScale: 0.002 };

/** A StubWorld per service, made on first use with the given regions. */
export class ServiceWorlds {
  readonly worlds = new Map<string, StubWorld>();

  constructor(private readonly regions: string[] = ['us-east', 'eu-west', 'apac-se']) {}

  world(service: string): StubWorld {
    let w = this.worlds.get(service);
    if (!w) this.worlds.set(service, (w = new StubWorld(this.regions)));
    return w;
  }

  activities(): MeridianActivities {
    const of = (service: string) => this.world(service).activities();
    return {
      deploy: (req) => of(req.ctx.service).deploy(req),
      readTrafficWeights: (ctx) => of(ctx.service).readTrafficWeights(ctx),
      setTrafficWeights: (ctx, w) => of(ctx.service).setTrafficWeights(ctx, w),
      pointDnsAt: (ctx, c) => of(ctx.service).pointDnsAt(ctx, c),
      readMetrics: (ctx, c) => of(ctx.service).readMetrics(ctx, c),
      checkMetrics: (ctx, limits) => of(ctx.service).checkMetrics(ctx, limits),
      watchPeriod: (req) => of(req.ctx.service).watchPeriod(req),
      pushStageMetrics: (ctx, r) => of(ctx.service).pushStageMetrics(ctx, r),
      notify: (card) => of(card.service).notify(card),
      annotate: (a) => of(a.service).annotate(a),
      countSuccessfulDelayedRollouts: (service) => of(service).countSuccessfulDelayedRollouts(service),
      workerSetup: admitting(async () => ({ regions: [...this.regions] })),
    };
  }
}

export interface RunningWorker {
  stop(): Promise<void>;
}

export async function runWorker(env: TestWorkflowEnvironment, taskQueue: string, activities: MeridianActivities): Promise<RunningWorker> {
  const worker = await Worker.create({ ...workerOn(env), taskQueue, activities });
  const running = worker.run();
  return {
    async stop() {
      worker.shutdown();
      await running;
    },
  };
}

export interface CliBench {
  env: TestWorkflowEnvironment;
  /**
   * For `sh`: `temporal` on PATH is the project's binary, `npx meridian` runs client/bin.mjs (see
   * NPX_SHIM); both CLIs reach the test's namespace and queue through the env, as an operator's would.
   */
  shellEnv: Record<string, string>;
  stop(): Promise<void>;
}

/** The test file's namespace on the dev server, a worker on `taskQueue`, and the shell env to run the CLIs in. */
export async function startCliBench(testFile: string, taskQueue: string, activities: MeridianActivities): Promise<CliBench> {
  const env = await devServerEnv(testFile);
  const worker = await runWorker(env, taskQueue, activities);
  const temporal = ensureTemporalBinaries().cli;
  if (!temporal) throw new Error('the temporal CLI is not installed (npm run temporal:install)');
  const bin = mkdtempSync(join(tmpdir(), 'meridian-cli-bin-'));
  symlinkSync(temporal, join(bin, 'temporal'));
  writeFileSync(join(bin, 'npx'), npxShim(), { mode: 0o755 });
  return {
    env,
    shellEnv: {
      PATH: `${bin}:${process.env.PATH}`,
      TEMPORAL_ADDRESS: env.address,
      TEMPORAL_NAMESPACE: env.namespace!,
      MERIDIAN_TASK_QUEUE: taskQueue,
    },
    async stop() {
      await worker.stop();
      await env.teardown();
      rmSync(bin, { recursive: true, force: true });
    },
  };
}

/**
 * `npx meridian …` is npm exec running this package's own bin, client/bin.mjs (docs.test checks
 * that once with the real npx): the shim runs it straight, without npm's 1 s of start-up CPU per
 * command; anything else (`npx tsx`, `npx vitest`) goes to the real npx.
 */
function npxShim(): string {
  const npx = execFileSync('/bin/sh', ['-c', 'command -v npx'], { encoding: 'utf8' }).trim();
  const meridian = `exec '${process.execPath}' '${join(ROOT, 'client', 'bin.mjs')}' "$@"`;
  return `#!/bin/sh\nif [ "$1" = meridian ]; then shift; ${meridian}; fi\nexec '${npx}' "$@"\n`;
}

/** This process's env without any Temporal settings, so only what a test passes counts. */
const cleanEnv = () =>
  Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('TEMPORAL_') && k !== 'MERIDIAN_TASK_QUEUE'));

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node client/bin.mjs …` (what `npx meridian` runs) with only the given Temporal env. */
export function cli(args: string[], env: Record<string, string>, timeoutMs = 90_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['client/bin.mjs', ...args],
      { cwd: ROOT, env: { ...cleanEnv(), ...env }, timeout: timeoutMs },
      (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
        resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
      },
    );
  });
}

/** Runs a shell command line from the repo root with only the given Temporal/step env. */
export function sh(command: string, env: Record<string, string>, timeoutMs = 90_000): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile('/bin/sh', ['-c', command], { cwd: ROOT, env: { ...cleanEnv(), ...env }, timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: unknown }).code as number | null) : 0;
      resolve({ code: typeof code === 'number' ? code : null, stdout, stderr });
    });
  });
}

/** Retries `probe` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
