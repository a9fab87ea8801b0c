// `npm start`: one command runs a real multi-region rollout on loopback. The Temporal dev server
// (with its Web UI), the worker in-process, three regions of real HAProxy + sample services, real
// SSH deploys, Prometheus, the Pushgateway and the SaaS stand-ins; steady load; then a `delayed`
// rollout of a version that is healthy in us-east and faulty in eu-west: us-east promotes, eu-west
// rolls back at the stage that breaches, apac-se is skipped. Exit code 0 when it went as designed.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DEFAULT_TASK_QUEUE, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { BreachMetric, Colour } from '../../domain/metrics.js';
import type { RegionOutcome, RegionResult, RolloutResult } from '../../domain/outcome.js';
import { DEFAULT_STAGES, type RolloutRequest } from '../../domain/rollout-input.js';
import { parseWorkerConfig } from '../../activities/config.js';
import { PROJECT_ROOT } from '../temporal-binaries.js';
import { connectTemporal } from '../connect.js';
import { startWorker } from '../worker.js';
import type { FaultInjection, ReleaseFaults } from './fault-agent.js';
import { LAB_REGIONS, startLab, type MultiRegionLab } from './lab.js';
import { startLoad, type Load } from './load.js';
import { ProgressView, type CardLine, type Output } from './progress.js';
import { drainedAt, watchRollout, type WeightChange } from './watch.js';
import { startTemporalDevServer } from './temporal-dev.js';

export const FAULT_KINDS = ['none', 'error-rate', 'latency', 'subtle'] as const;
export type FaultChoice = (typeof FAULT_KINDS)[number];

/** What each fault kind does to the new version in the faulty region. */
export const FAULT_VALUES = { 'error-rate': { errorRatePct: 20 }, latency: { latencyMs: 900 }, subtle: { errorRatePct: 0.6 } } as const;
const BREACH_METRIC: Record<Exclude<FaultChoice, 'none'>, BreachMetric> = { 'error-rate': 'error_rate', latency: 'latency', subtle: 'error_rate' };
/** What the rollback card must say: the breached metric; for the subtle regression, the judge's evidence (green against blue). */
const BREACH_WORDS: Record<Exclude<FaultChoice, 'none'>, RegExp> = {
  'error-rate': /error rate/,
  latency: /latency/,
  subtle: /error rate .*green [\d,]+ errors \/ [\d,]+.*evidence/,
};

export const SERVICE = 'checkout-api';
export const VERSION = 'v2.0.0';
/** Scaled time between checks: long enough for Prometheus (1 s scrapes, 10 s window) to see traffic on green. */
const SCALED_CHECK_SECONDS = 6;

export interface DemoOptions {
  fault: FaultChoice;
  faultRegion: string;
  timeScale: number;
  keepRunning: boolean;
  json: boolean;
  /** Where faults.jsonl and the run's working files go. Default .lab/ in the project. */
  labDir: string;
  /** Requests per second per region. */
  rate: number;
}

export const DEFAULT_OPTIONS: DemoOptions = {
  fault: 'error-rate',
  faultRegion: 'eu-west',
  timeScale: 0.03,
  keepRunning: false,
  json: false,
  labDir: join(PROJECT_ROOT, '.lab'),
  rate: 50,
};

export interface DemoResult {
  ok: boolean;
  /** Why the run did not go as designed (empty when ok). */
  mismatches: string[];
  fault: { kind: FaultChoice; region?: string };
  expected: Record<string, RegionOutcome>;
  workflowId: string;
  webUi: string;
  timeScale: number;
  checkIntervalSeconds: number;
  result?: RolloutResult;
  /** Read from each HAProxy's runtime API after the rollout. */
  haproxyWeights: Record<string, Record<Colour, number>>;
  cards: CardLine[];
  /** Each HAProxy's weights over the run, as polled from its runtime API. */
  weightChanges: Record<string, WeightChange[]>;
  faults: FaultInjection[];
  timings: {
    labReadyMs?: number;
    rolloutMs?: number;
    totalMs?: number;
    /** Fault injected (deploy restart) → green drained in the faulty region. */
    faultToRollbackMs?: number;
    /** First faulty answer a client got from green → green drained. */
    faultVisibleToRollbackMs?: number;
  };
  /** Pids of the lab's daemons, so callers can check that none outlived the demo. */
  pids: number[];
  labDir: string;
}

export const HELP = `Usage: npm start -- [options]     (or: npx tsx workers/lab/demo.ts [options])

Runs a real multi-region rollout on loopback: the Temporal dev server and Web UI, the Meridian
worker, three regions (us-east, eu-west, apac-se) of HAProxy + blue/green sample services, SSH
deploys, Prometheus, the Pushgateway and Slack/Teams/Cloudflare/Grafana stand-ins, under steady load.
A new version is released that is healthy everywhere except in the fault region: regions before it
promote, the fault region rolls back at the stage that breaches, later regions are skipped.

Options:
  --fault none|error-rate|latency|subtle
                                    fault of the new version in the fault region (default error-rate:
                                    ${FAULT_VALUES['error-rate'].errorRatePct}% errors; latency: +${FAULT_VALUES.latency.latencyMs} ms per request;
                                    subtle: ${FAULT_VALUES.subtle.errorRatePct}% errors while blue serves none, a regression only
                                    the canary judge's comparison with blue tells from noise)
  --fault-region <region>           where the fault shows (default eu-west)
  --time-scale <n>                  scales every duration of the rollout, 0 < n <= 1 (default 0.03: about 3.5 min in all)
  --rate <n>                        requests per second per region (default 50)
  --keep-running                    stay up after the rollout to explore the Web UI, until Ctrl-C
  --json                            print the final result as JSON on stdout (progress goes to stderr)
  --lab-dir <dir>                   faults.jsonl and working files (default .lab/)
  --help                            this text

Exit code 0 when the outcome matched the expectation for the chosen fault, 1 when it did not,
2 for bad options, 130 when interrupted. Fault injections are appended to <lab-dir>/faults.jsonl.`;

export class UsageError extends Error {}

export function parseDemoArgs(argv: string[]): DemoOptions & { help: boolean } {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        fault: { type: 'string' },
        'fault-region': { type: 'string' },
        'time-scale': { type: 'string' },
        rate: { type: 'string' },
        'keep-running': { type: 'boolean' },
        json: { type: 'boolean' },
        'lab-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const fault = (values.fault ?? DEFAULT_OPTIONS.fault) as FaultChoice;
  if (!FAULT_KINDS.includes(fault)) throw new UsageError(`--fault must be one of ${FAULT_KINDS.join(', ')}`);
  const faultRegion = values['fault-region'] ?? DEFAULT_OPTIONS.faultRegion;
  if (!(LAB_REGIONS as readonly string[]).includes(faultRegion)) throw new UsageError(`--fault-region must be one of ${LAB_REGIONS.join(', ')}`);
  const timeScale = values['time-scale'] === undefined ? DEFAULT_OPTIONS.timeScale : Number(values['time-scale']);
  if (!(timeScale > 0 && timeScale <= 1)) throw new UsageError('--time-scale must be a number with 0 < n <= 1');
  const rate = values.rate === undefined ? DEFAULT_OPTIONS.rate : Number(values.rate);
  if (!(rate >= 1 && rate <= 200)) throw new UsageError('--rate must be between 1 and 200 requests per second');
  return {
    fault,
    faultRegion,
    timeScale,
    rate,
    keepRunning: Boolean(values['keep-running']),
    json: Boolean(values.json),
    labDir: resolve(values['lab-dir'] ?? DEFAULT_OPTIONS.labDir),
    help: Boolean(values.help),
  };
}

/** Every check a whole number of seconds, scaled to about SCALED_CHECK_SECONDS, never below the default 30 s. */
export function checkIntervalFor(timeScale: number): number {
  return Math.min(3600, Math.max(30, Math.ceil(SCALED_CHECK_SECONDS / timeScale)));
}

/** Regions before the fault region promote, it rolls back, later ones are skipped (`delayed` stops at a failure). */
export function expectedOutcomes(regions: readonly string[], fault: FaultChoice, faultRegion: string): Record<string, RegionOutcome> {
  const at = fault === 'none' ? regions.length : regions.indexOf(faultRegion);
  return Object.fromEntries(regions.map((r, i) => [r, i < at ? 'succeeded' : i === at ? 'rolled_back' : 'skipped']));
}

export function releaseFaults(fault: FaultChoice, faultRegion: string): ReleaseFaults {
  return fault === 'none' ? { default: {} } : { default: {}, regions: { [faultRegion]: { ...FAULT_VALUES[fault] } } };
}

/** Compares what happened with what the chosen fault should cause; returns the differences. */
export function checkOutcome(d: Pick<DemoResult, 'expected' | 'result' | 'haproxyWeights' | 'cards' | 'faults' | 'fault'>): string[] {
  const problems: string[] = [];
  if (!d.result) return ['the rollout returned no result'];
  for (const [region, want] of Object.entries(d.expected)) {
    const got: RegionResult | undefined = d.result.regions[region];
    if (got?.outcome !== want) problems.push(`${region}: outcome ${got?.outcome ?? 'missing'}, expected ${want}${got?.reason ? ` (${got.reason})` : ''}`);
    const w = d.haproxyWeights[region];
    const live: Colour = want === 'succeeded' ? 'green' : 'blue';
    if (!w || w[live] !== 100) problems.push(`${region}: HAProxy holds blue ${w?.blue}/green ${w?.green}, expected ${live} 100`);
    if (want === 'rolled_back' && d.fault.kind !== 'none') {
      if (!(got && got.stageReached > 0)) problems.push(`${region}: rolled back before the candidate took traffic`);
      if (got?.breach?.metric !== BREACH_METRIC[d.fault.kind]) problems.push(`${region}: breach ${got?.breach?.metric ?? 'none'}, expected ${BREACH_METRIC[d.fault.kind]}`);
      const card = d.cards.find((c) => c.channel === 'slack' && c.hook === region && c.kind === 'rollback');
      if (!card) problems.push(`${region}: no rollback card reached Slack`);
      else if (!BREACH_WORDS[d.fault.kind].test(card.cause ?? '')) problems.push(`${region}: the rollback card does not name the breached metric: ${card.cause}`);
      if (!d.faults.some((f) => f.region === region && f.colour === 'green')) problems.push(`${region}: no fault injection was recorded`);
    }
  }
  return problems;
}

/** Things to stop, newest first; anything added once closing starts is stopped at once. */
class Teardown {
  private items: { name: string; stop: () => Promise<unknown> }[] = [];
  private closing?: Promise<void>;

  add(name: string, stop: () => Promise<unknown>): void {
    if (this.closing) void stop().catch(() => undefined);
    else this.items.push({ name, stop });
  }

  get started(): boolean {
    return this.closing !== undefined;
  }

  run(log: (line: string) => void): Promise<void> {
    this.closing ??= (async () => {
      for (const item of this.items.splice(0).reverse()) {
        const t = Date.now();
        const timeout = new Promise((r) => setTimeout(r, 20_000).unref());
        await Promise.race([item.stop().catch((err: Error) => log(`stopping ${item.name}: ${err.message}`)), timeout]);
        if (process.env.MERIDIAN_DEMO_DEBUG) log(`stopped ${item.name} in ${Date.now() - t} ms`);
      }
    })();
    return this.closing;
  }
}

class Interrupted extends Error {}

export interface DemoIo {
  /** Human output (progress, cards). */
  out: Output;
  /** Aborts the demo (Ctrl-C): everything stops and runDemo rejects with an interruption. */
  signal?: AbortSignal;
}

function untilAborted<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(new Interrupted('interrupted'));
  return new Promise<T>((res, rej) => {
    const onAbort = () => rej(new Interrupted('interrupted'));
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(res, rej).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (signal?.aborted) throw new Interrupted('interrupted');
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await sleep(250);
  }
}

let runtimeInstalled = false;

/** Runs the whole demo; resolves with what happened once everything it started has stopped. */
export async function runDemo(opts: DemoOptions, io: DemoIo): Promise<DemoResult> {
  const t0 = Date.now();
  const view = new ProgressView(io.out);
  const teardown = new Teardown();
  const log = (line: string) => view.log(line);
  const regions = [...LAB_REGIONS];
  const expected = expectedOutcomes(regions, opts.fault, opts.faultRegion);
  const checkIntervalSeconds = checkIntervalFor(opts.timeScale);
  const workflowId = rolloutWorkflowId(SERVICE);
  const demo: DemoResult = {
    ok: false,
    mismatches: [],
    fault: { kind: opts.fault, ...(opts.fault === 'none' ? {} : { region: opts.faultRegion }) },
    expected,
    workflowId,
    webUi: '',
    timeScale: opts.timeScale,
    checkIntervalSeconds,
    haproxyWeights: {},
    cards: [],
    weightChanges: {},
    faults: [],
    timings: {},
    pids: [],
    labDir: opts.labDir,
  };

  if (!runtimeInstalled) {
    // Worker and SDK warnings scroll above the progress block, one line each.
    // The demo decides when the worker stops (after the lab's clean-up order), not the SDK's own SIGINT handler.
    Runtime.install({
      shutdownSignals: [],
      logger: new DefaultLogger('WARN', (e) => log(view.paint('dim', `[worker] ${e.level} ${e.message}`.split('\n')[0]!.slice(0, 300)))),
    });
    runtimeInstalled = true;
  }

  let lab: MultiRegionLab | undefined;
  let load: Load | undefined;
  /** The run got to its end (in --keep-running, the Ctrl-C that ends it counts as the end). */
  let finished = false;
  try {
    mkdirSync(opts.labDir, { recursive: true });
    const runDir = join(opts.labDir, `run-${process.pid}`);
    log(view.paint('bold', `Meridian demo: ${SERVICE} ${VERSION}, delayed rollout over ${regions.join(' → ')}`));
    log(`fault: ${opts.fault === 'none' ? 'none (healthy everywhere)' : `${opts.fault} in ${opts.faultRegion} (${JSON.stringify(FAULT_VALUES[opts.fault])})`}; time scale ${opts.timeScale}, a check every ${checkIntervalSeconds} s (${(checkIntervalSeconds * opts.timeScale).toFixed(1)} s scaled)`);
    log('starting the Temporal dev server, the lab (3 regions) and the worker…');

    const temporalP = startTemporalDevServer();
    const labP = startLab({
      dir: runDir,
      faultsLog: join(opts.labDir, 'faults.jsonl'),
      regions,
      // The Web UI port is known once the server is up; cards link there.
      print: (line) => log(view.paint('dim', line)),
      onInjection: (i) => {
        demo.faults.push(i);
        log(view.paint('yellow', `[fault] ${i.time} ${i.region}/${i.colour} ${i.version}: ${i.kind} ${i.value}${i.kind === 'latency' ? ' ms' : ' %'}`));
      },
    });
    // Track each part as soon as it exists, so Ctrl-C during start-up stops it too.
    void temporalP.then((t) => teardown.add('temporal dev server', () => t.daemon.stop()), () => undefined);
    void labP.then((l) => teardown.add('lab', () => l.stop()), () => undefined);
    const [temporal, labReady] = await untilAborted(Promise.all([temporalP, labP]), io.signal);
    lab = labReady;
    const daemons = [{ name: 'temporal', pid: temporal.daemon.pid }, ...lab.daemons()];
    demo.pids = daemons.map((d) => d.pid);
    log(view.paint('dim', `lab daemons (pid): ${daemons.map((d) => `${d.name} ${d.pid}`).join(', ')}`));
    demo.webUi = temporal.workflowUrl(workflowId);

    const config = { ...lab.config, links: { ...(lab.config.links as object), workflowUrl: temporal.workflowUrl('{correlationId}').replace('%7BcorrelationId%7D', '{correlationId}') } };
    const { config: workerConfig, warnings } = parseWorkerConfig(config, lab.secrets, { source: 'lab worker config' });
    for (const w of warnings) log(view.paint('dim', `[config] ${w}`));

    // The lab's own dev server, deliberately not the operator's TEMPORAL_* settings or profile.
    const { connection, client, close } = await connectTemporal({ address: temporal.address, namespace: 'default' });
    teardown.add('temporal connections', close);
    const worker = await untilAborted(startWorker({ config: workerConfig, env: lab.secrets, connection, client, taskQueue: DEFAULT_TASK_QUEUE, shutdownGraceMs: 2_000 }), io.signal);
    teardown.add('worker', () => worker.shutdown());
    worker.done.catch((err: Error) => log(view.paint('red', `[worker] stopped: ${err.message}`)));

    const labNow = lab;
    load = startLoad(Object.fromEntries(regions.map((r) => [r, labNow.regions[r]!.haproxy.url])), { ratePerSecond: opts.rate });
    const loadNow = load;
    teardown.add('load', () => loadNow.stop());
    log(`steady load: ${opts.rate} req/s per region through each region's HAProxy`);
    // The baseline read of blue needs a rate over real traffic.
    await waitFor('a baseline for blue in Prometheus', async () => (await Promise.all(regions.map((r) => labNow.observedErrorRate(r, 'blue')))).every((v) => v === 0), 60_000, io.signal);
    demo.timings.labReadyMs = Date.now() - t0;
    log(`lab ready in ${(demo.timings.labReadyMs / 1000).toFixed(1)} s — Prometheus ${lab.prometheus.url}, Pushgateway ${lab.pushgateway.url}`);

    const request: RolloutRequest = {
      service: SERVICE,
      version: VERSION,
      artifact: lab.release(VERSION, releaseFaults(opts.fault, opts.faultRegion)),
      regions,
      strategy: 'delayed',
      delayBetweenRegionsMinutes: 30,
      stages: DEFAULT_STAGES,
      checkIntervalSeconds,
      // Prometheus scrapes the lab every second: poll as often, so a breach is acted on within seconds.
      pollSeconds: 1,
      // Scaled time shrinks the stages but not the traffic: at 10 % a nine-second stage sees a few
      // dozen requests, so the judge settles for fewer per period than a real stage would get.
      judge: { minRequests: 10 },
      timeScale: opts.timeScale,
    };
    const tRollout = Date.now();
    const handle = await client.workflow.start(WORKFLOW_TYPES.rollout, { taskQueue: DEFAULT_TASK_QUEUE, workflowId, args: [request] });
    log(view.paint('bold', `rollout started — Web UI: ${demo.webUi}`));

    const watch = watchRollout({ lab, load, client, service: SERVICE, workflowId, regions, view, webUi: demo.webUi });
    teardown.add('progress', () => watch.stop());
    demo.result = await untilAborted(handle.result() as Promise<RolloutResult>, io.signal);
    demo.timings.rolloutMs = Date.now() - tRollout;
    await watch.stop(demo.result);
    view.finish();

    for (const r of regions) demo.haproxyWeights[r] = await lab.weights(r);
    demo.cards = watch.cards();
    demo.weightChanges = watch.weightChanges();
    const faulty = opts.fault === 'none' ? undefined : opts.faultRegion;
    if (faulty) {
      const drained = drainedAt(watch.weightChanges()[faulty] ?? []);
      const injected = demo.faults.find((f) => f.region === faulty && f.colour === 'green');
      const visible = load.stats[faulty]?.firstGreenFailureAt ?? load.stats[faulty]?.firstGreenAt;
      if (drained && injected) demo.timings.faultToRollbackMs = drained - Date.parse(injected.time);
      if (drained && visible) demo.timings.faultVisibleToRollbackMs = drained - visible;
    }
    demo.mismatches = checkOutcome(demo);
    demo.ok = demo.mismatches.length === 0;
    summarise(view, demo);

    if (opts.keepRunning) {
      log(view.paint('bold', `still running: explore ${demo.webUi} — Ctrl-C stops everything`));
      // Ctrl-C is how this mode ends: the exit code still tells whether the rollout went as designed.
      await untilAborted(new Promise<never>(() => undefined), io.signal).catch((err) => {
        if (!(err instanceof Interrupted)) throw err;
      });
    }
    finished = true;
  } catch (err) {
    if (err instanceof Interrupted) {
      log('interrupted: stopping everything…');
    } else {
      demo.mismatches.push(`the demo failed: ${(err as Error).message}`);
      log(view.paint('red', `demo failed: ${(err as Error).message}`));
    }
    demo.ok = false;
  } finally {
    view.finish();
    await teardown.run(log);
    demo.timings.totalMs = Date.now() - t0;
    log(`stopped everything after ${(demo.timings.totalMs / 1000).toFixed(1)} s`);
  }
  if (!finished && io.signal?.aborted) throw new Interrupted('interrupted');
  return demo;
}

function summarise(view: ProgressView, d: DemoResult): void {
  const log = (l: string) => view.log(l);
  log('');
  log(view.paint('bold', `rollout ${d.result?.outcome ?? 'unknown'} in ${((d.timings.rolloutMs ?? 0) / 1000).toFixed(1)} s`));
  for (const [region, want] of Object.entries(d.expected)) {
    const got = d.result?.regions[region];
    const w = d.haproxyWeights[region];
    log(`  ${region.padEnd(8)} ${String(got?.outcome).padEnd(12)} reached ${String(got?.stageReached ?? 0).padStart(3)}%  HAProxy blue ${w?.blue}/green ${w?.green}  (expected ${want})${got?.reason ? ` — ${got.reason}` : ''}`);
  }
  if (d.timings.faultToRollbackMs !== undefined) log(`  fault injected → green drained: ${(d.timings.faultToRollbackMs / 1000).toFixed(1)} s`);
  if (d.timings.faultVisibleToRollbackMs !== undefined) log(`  first faulty answer to a client → green drained: ${(d.timings.faultVisibleToRollbackMs / 1000).toFixed(1)} s`);
  log(d.ok ? view.paint('green', 'the demo ran as designed') : view.paint('red', `the demo did NOT go as designed:\n  - ${d.mismatches.join('\n  - ')}`));
  log(`Web UI: ${d.webUi}`);
}

async function main(): Promise<number> {
  let opts: ReturnType<typeof parseDemoArgs>;
  try {
    opts = parseDemoArgs(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n\n${HELP}\n`);
    return 2;
  }
  if (opts.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const controller = new AbortController();
  let firstSignalAt = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    // npm and tsx may pass the terminal's Ctrl-C on once more: only a later one forces the exit.
    if (firstSignalAt && Date.now() - firstSignalAt > 2_000) process.exit(130);
    firstSignalAt ||= Date.now();
    process.stderr.write(`\n${sig}: stopping the lab…\n`);
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const out: Output = opts.json ? process.stderr : process.stdout;
  try {
    const result = await runDemo(opts, { out, signal: controller.signal });
    if (opts.json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    return result.ok ? 0 : 1;
  } catch (err) {
    if (err instanceof Interrupted) return 130;
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(PROJECT_ROOT, 'workers/lab/demo.ts')) {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
