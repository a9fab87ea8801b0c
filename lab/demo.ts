// `npm start`: one command runs a real multi-region rollout on loopback. The Temporal dev server
// (with its Web UI), the worker in-process, three regions of real HAProxy + sample services, real
// SSH deploys, Prometheus, the Pushgateway and the SaaS stand-ins; steady load; then a `delayed`
// rollout of a version that is healthy in us-east and faulty in eu-west: us-east promotes, eu-west
// rolls back at the stage that breaches, apac-se is skipped. Exit code 0 when it went as designed.
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DEFAULT_TASK_QUEUE, rolloutWorkflowId } from '../domain/contract.js';
import type { RolloutResult } from '../domain/outcome.js';
import { DEFAULT_STAGES, type RolloutRequest } from '../domain/rollout-input.js';
import { parseWorkerConfig } from '../activities/config.js';
import { startRollout } from '../client/rollouts.js';
import { PROJECT_ROOT } from './temporal-binaries.js';
import { connectTemporal } from '../workers/connect.js';
import { startWorker } from '../workers/worker.js';
import {
  reportIntervalFor,
  BROKEN_HOSTS,
  FAULT_VALUES,
  HELP,
  isReleaseFault,
  parseDemoArgs,
  SERVICE,
  VERSION,
  type DemoOptions,
} from './demo-args.js';
import { checkOutcome, expectedOutcomes, releaseFaults, summarise, type DemoResult } from './demo-expect.js';
import { Interrupted, Teardown, untilAborted, waitFor } from './demo-teardown.js';
import { startLab, type MultiRegionLab } from './lab.js';
import { startLoad, type Load } from './load.js';
import { ProgressView, type Output } from './progress.js';
import { drainedAt, watchLab } from './watch.js';
import { startTemporalDevServer } from './temporal-dev.js';

export type { DemoOptions } from './demo-args.js';
export type { DemoResult } from './demo-expect.js';

export interface DemoIo {
  /** Human output (progress, cards). */
  out: Output;
  /** Aborts the demo (Ctrl-C): everything stops and runDemo rejects with an interruption. */
  signal?: AbortSignal;
  /** Called once the rollout has started (lab/screenshot.ts captures the Web UI then). */
  onRolloutStarted?: (started: { client: Client; workflowId: string; webUi: string }) => void;
}

let runtimeInstalled = false;

/** Runs the whole demo; resolves with what happened once everything it started has stopped. */
export async function runDemo(opts: DemoOptions, io: DemoIo): Promise<DemoResult> {
  const t0 = Date.now();
  const view = new ProgressView(io.out);
  const teardown = new Teardown();
  const log = (line: string) => view.log(line);
  const regions = [...opts.regions];
  const expected = expectedOutcomes(regions, opts.fault, opts.faultRegion);
  const checkIntervalSeconds = reportIntervalFor(opts.timeScale);
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
    serverWeights: {},
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
      // Core's own warnings come through that logger too: left to itself, core prints them on stdout,
      // where they broke --json's output (a loaded machine makes it warn).
      telemetryOptions: { logging: { forward: {}, filter: { core: 'WARN', other: 'ERROR' } } },
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
    const fromWeight = opts.faultFromWeight ? ` from ${opts.faultFromWeight} % weight` : '';
    const fault =
      opts.fault === 'none'
        ? 'none (healthy everywhere)'
        : isReleaseFault(opts.fault)
          ? `${opts.fault} in ${opts.faultRegion} (${JSON.stringify(FAULT_VALUES[opts.fault])}${fromWeight})`
          : `${opts.fault} in ${opts.faultRegion} (${BROKEN_HOSTS[opts.fault]!.join(', ')} never healthy)`;
    const scaled = (checkIntervalSeconds * opts.timeScale).toFixed(1);
    log(`fault: ${fault}; time scale ${opts.timeScale}, a check every ${checkIntervalSeconds} s (${scaled} s scaled)`);
    log(`starting the Temporal dev server, the lab (${regions.length} region${regions.length > 1 ? 's' : ''}) and the worker…`);

    const temporalP = startTemporalDevServer(
      opts.temporalPort ? { ports: { port: opts.temporalPort, uiPort: opts.temporalPort + 1000 } } : {},
    );
    const labP = startLab({
      dir: runDir,
      hosts: opts.hosts,
      brokenHosts: (BROKEN_HOSTS[opts.fault] ?? []).map((host) => ({ region: opts.faultRegion, host })),
      faultsLog: join(opts.labDir, 'faults.jsonl'),
      regions,
      // The Web UI port is known once the server is up; cards link there.
      print: (line) => log(view.paint('dim', line)),
      onInjection: (i) => {
        demo.faults.push(i);
        log(
          view.paint(
            'yellow',
            `[fault] ${i.time} ${i.region}/${i.colour} ${i.version}: ${i.kind} ${i.value}${i.kind === 'latency' ? ' ms' : ' %'}` +
              (i.fromWeightPct ? ` (at ${i.fromWeightPct} % weight)` : ''),
          ),
        );
      },
    });
    // Track each part as soon as it exists, so Ctrl-C during start-up stops it too.
    void temporalP.then(
      (t) => teardown.add('temporal dev server', () => t.daemon.stop()),
      () => undefined,
    );
    void labP.then(
      (l) => teardown.add('lab', () => l.stop()),
      () => undefined,
    );
    const [temporal, labReady] = await untilAborted(Promise.all([temporalP, labP]), io.signal);
    lab = labReady;
    const daemons = [{ name: 'temporal', pid: temporal.daemon.pid }, ...lab.daemons()];
    demo.pids = daemons.map((d) => d.pid);
    log(view.paint('dim', `lab daemons (pid): ${daemons.map((d) => `${d.name} ${d.pid}`).join(', ')}`));
    demo.webUi = temporal.workflowUrl(workflowId);

    const config = {
      ...lab.config,
      links: {
        ...(lab.config.links as object),
        workflowUrl: temporal.workflowUrl('{correlationId}').replace('%7BcorrelationId%7D', '{correlationId}'),
      },
    };
    const { config: workerConfig, warnings } = parseWorkerConfig(config, lab.secrets, { source: 'lab worker config' });
    for (const w of warnings) log(view.paint('dim', `[config] ${w}`));

    // The lab's own dev server, deliberately not the operator's TEMPORAL_* settings or profile.
    const { connection, client } = await connectTemporal({ address: temporal.address, namespace: 'default' });
    // Only the worker's connection is closed here. The client's stays open until the process exits:
    // after Ctrl-C the rollout's result long-poll is still in flight, and grpc-js retries it from a
    // timer, which throws (uncaught) on a channel already shut down.
    teardown.add('worker connection', () => connection.close());
    const worker = await untilAborted(
      startWorker({ config: workerConfig, env: lab.secrets, connection, client, taskQueue: DEFAULT_TASK_QUEUE, shutdownGraceMs: 2_000 }),
      io.signal,
    );
    teardown.add('worker', () => worker.shutdown());
    worker.done.catch((err: Error) => log(view.paint('red', `[worker] stopped: ${err.message}`)));

    const labNow = lab;
    // A fresh lab runs every region on blue: the stable colour the residual trickle reaches.
    const residualTargets = Object.fromEntries(regions.map((r) => [r, labNow.regions[r]!.services.blue.url]));
    load = startLoad(Object.fromEntries(regions.map((r) => [r, labNow.regions[r]!.haproxy.url])), {
      ratePerSecond: opts.rate,
      residualRate: opts.residualRate,
      residualTargets,
    });
    const loadNow = load;
    teardown.add('load', () => loadNow.stop());
    log(
      `steady load: ${opts.rate} req/s per region through each region's HAProxy` +
        (opts.residualRate ? `, and ${opts.residualRate} req/s straight to blue` : ''),
    );
    // The baseline read of blue needs a rate over real traffic.
    await waitFor(
      'a baseline for blue in Prometheus',
      async () => (await Promise.all(regions.map((r) => labNow.observedErrorRate(r, 'blue')))).every((v) => v === 0),
      60_000,
      io.signal,
    );
    demo.timings.labReadyMs = Date.now() - t0;
    log(
      `lab ready in ${(demo.timings.labReadyMs / 1000).toFixed(1)} s — ` +
        `Prometheus ${lab.prometheus.url}, Pushgateway ${lab.pushgateway.url}`,
    );

    const request: RolloutRequest = {
      service: SERVICE,
      version: VERSION,
      artifact: lab.release(VERSION, releaseFaults(opts.fault, opts.faultRegion, opts.faultFromWeight)),
      regions,
      strategy: 'delayed',
      delayBetweenRegionsMinutes: 30,
      stages: DEFAULT_STAGES,
      checkIntervalSeconds,
      // Prometheus scrapes the lab every second: poll as often, so a breach is acted on within seconds.
      pollSeconds: 1,
      // Scaled time shrinks the stages but not the traffic: at 10 % a nine-second stage sees a few
      // dozen requests, so the judge settles for fewer per period than a real stage would get.
      // The lab's Prometheus is minutes old: the stable colour's baseline is its last hour (all of
      // it), read in 1-minute bins.
      judge: { minRequests: 10, baselineMinutes: 60, baselineBinMinutes: 1 },
      timeScale: opts.timeScale,
      // A fleet goes on with all but one of its hosts healthy (CodeDeploy's "one at a time" minimum).
      ...(opts.hosts > 1 ? { deployPolicy: { minimumHealthy: opts.hosts - 1 } } : {}),
    };
    const tRollout = Date.now();
    // Started as `meridian start` starts it: the Web UI shows its summary and details.
    await startRollout(client, request, { taskQueue: DEFAULT_TASK_QUEUE });
    const handle = client.workflow.getHandle(workflowId);
    log(view.paint('bold', `rollout started — Web UI: ${demo.webUi}`));
    io.onRolloutStarted?.({ client, workflowId, webUi: demo.webUi });

    const watch = watchLab({ lab, load, client, service: SERVICE, regions, view, webUi: demo.webUi });
    teardown.add('progress', () => watch.stop());
    demo.result = await untilAborted(handle.result() as Promise<RolloutResult>, io.signal);
    demo.timings.rolloutMs = Date.now() - tRollout;
    await watch.stop(demo.result);
    view.finish();

    for (const r of regions) demo.haproxyWeights[r] = await lab.weights(r);
    if (opts.hosts > 1) for (const r of regions) demo.serverWeights[r] = await lab.serverWeights(r);
    demo.cards = watch.cards();
    demo.weightChanges = watch.weightChanges();
    const faulty = opts.fault === 'none' ? undefined : opts.faultRegion;
    if (faulty) {
      // A fresh lab deploys to green; the load counts green's first answers only.
      const candidate = watch.candidate(faulty) ?? 'green';
      const drained = drainedAt(watch.weightChanges()[faulty] ?? [], candidate);
      const injected = demo.faults.find((f) => f.region === faulty && f.colour === candidate);
      const visible = load.stats[faulty]?.firstGreenFailureAt ?? load.stats[faulty]?.firstGreenAt;
      if (drained && injected) demo.timings.faultToRollbackMs = drained - Date.parse(injected.time);
      if (drained && visible && candidate === 'green') demo.timings.faultVisibleToRollbackMs = drained - visible;
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
    // npm and tsx pass the terminal's Ctrl-C on once more, and a busy teardown may see that copy
    // seconds late: only a Ctrl-C long after the first (a stuck teardown) forces the exit.
    if (firstSignalAt && Date.now() - firstSignalAt > 10_000) process.exit(130);
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

if (process.argv[1] && resolve(process.argv[1]) === resolve(PROJECT_ROOT, 'lab/demo.ts')) {
  main().then(
    (code) => process.exit(code),
    (err: Error) => {
      process.stderr.write(`${err.stack ?? err.message}\n`);
      process.exit(1);
    },
  );
}
