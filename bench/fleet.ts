// `npm run bench -- fleet [--json] [--hosts N] [--batch B]`: one region's candidate colour as a fleet
// of N hosts, deployed for real over SSH by the deploy activity inside a real region workflow, on a
// dev server of its own with the worker in this process. Every host is a loopback address of real
// OpenSSH servers (lab/fleet-hosts.ts) with its own baseDir: deployHost downloads the artifact from
// a local artifact server with curl, checks its sha256, unpacks it, switches `current`, runs a light
// restart command (writes a pid and a timestamp) and curls one health server answering for every
// host. Every other activity is a StubWorld stub. One host's deploy time is the median deployHost
// duration of the fleet's hosts in the run, and idealSeconds = ceil(N / B) × that: what the batches
// would take with no overhead between and around them. A calibration rollout in another region first
// deploys CALIBRATION_HOSTS hosts one at a time, for a host's time alone. wallSeconds is the fleet region's deploy
// activity from ActivityTaskStarted to ActivityTaskCompleted in its history; workerRssMiB the max
// of this process's RSS (worker, artifact and health servers), sampled every 100 ms.
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, cpus, tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { createDeployActivities, WORKER_DEPLOY_SESSIONS } from '../activities/deploy.js';
import type { Deployer } from '../activities/deployer.js';
import { createSshDeployer, sshDeployConfigSchema } from '../activities/deploy-ssh.js';
import { regionWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../domain/contract.js';
import type { DeployPolicy } from '../domain/fleet.js';
import type { RolloutRequest } from '../domain/rollout-input.js';
import { ensureDebianPackages } from '../lab/debian.js';
import { makeTarGz, startArtifactServer, type Artifact } from '../lab/artifacts.js';
import { MAX_LISTEN_SOCKS, startFleetHosts, type FleetHosts } from '../lab/fleet-hosts.js';
import { workflowBundle } from '../workers/bundle.js';
import { WORKER_LIMITS } from '../workers/worker.js';
import { StubWorld } from '../test/helpers/stub-world.js';
import { intOption, percentile, runTag, table } from './report.js';
import { startBenchServer } from './temporal.js';

const FLEET_REGION = 'fleet';
const CALIBRATION_REGION = 'single';
/** Hosts the calibration rollout deploys one at a time: the median of their durations is one host's deploy time. */
const CALIBRATION_HOSTS = 5;
const TIME_SCALE = 0.001;
/** Two short stages: at timeScale 0.001 the canary after the deploy takes well under a second each. */
const STAGES = [
  { weightPct: 10, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 1 },
  { weightPct: 100, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 1 },
];

/** One deployHost call: when it started and ended (ms, performance.now()), and how long each step took. */
interface HostTiming {
  host: string;
  start: number;
  end: number;
  steps: Record<string, number>;
}

/** The real deployer, timed: each host's duration and the time between its progress steps. */
function timed(deployer: Deployer, log: HostTiming[]): Deployer {
  return {
    hosts: (colour) => deployer.hosts(colour),
    async deployHost(req, host, progress) {
      const t: HostTiming = { host, start: performance.now(), end: 0, steps: {} };
      let step = '';
      let since = t.start;
      const close = (now: number) => {
        if (step) t.steps[step] = (t.steps[step] ?? 0) + (now - since);
        since = now;
      };
      try {
        return await deployer.deployHost(req, host, (s) => {
          // remote-run repeats a long step's name as a tick, and numbers health attempts: one bucket per step.
          const name = s.replace(/ \(attempt \d+\)$/, '');
          if (name !== step) {
            close(performance.now());
            step = name;
          }
          progress(s);
        });
      } finally {
        t.end = performance.now();
        close(t.end);
        log.push(t);
      }
    },
  };
}

const duration = (t: HostTiming) => t.end - t.start;
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

/**
 * CPU seconds the sshd listeners used, with their finished children (connections, shells, curl, tar):
 * utime + stime + cutime + cstime from /proc/<pid>/stat, in clock ticks of 1/100 s.
 */
function hostsCpuSeconds(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      // The fields after the command name (which may hold spaces) start at the state, field 3.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += [11, 12, 13, 14].reduce((sum, i) => sum + Number(fields[i]), 0);
    } catch {
      // gone: it counts no more
    }
  }
  return ticks / 100;
}

/** What a region workflow's history tells: its size, and its deploy activity's wait and run. */
interface HistoryFigures {
  events: number;
  deploySeconds: number;
  scheduleToStartSeconds: number;
}

type HistoryEvent = {
  eventId?: unknown;
  eventTime?: { seconds?: unknown; nanos?: number | null } | null;
  activityTaskScheduledEventAttributes?: { activityType?: { name?: string | null } | null } | null;
  activityTaskStartedEventAttributes?: { scheduledEventId?: unknown } | null;
  activityTaskCompletedEventAttributes?: { scheduledEventId?: unknown } | null;
};

function historyFigures(events: HistoryEvent[]): HistoryFigures {
  const at = (e: HistoryEvent | undefined) => Number(e?.eventTime?.seconds ?? 0) + (e?.eventTime?.nanos ?? 0) / 1e9;
  const scheduled = events.find((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deploy');
  const id = String(scheduled?.eventId);
  const started = events.find((e) => String(e.activityTaskStartedEventAttributes?.scheduledEventId) === id);
  const completed = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId) === id);
  if (!scheduled || !started || !completed) throw new Error('the region history holds no completed deploy activity');
  return { events: events.length, deploySeconds: at(completed) - at(started), scheduleToStartSeconds: at(started) - at(scheduled) };
}

/** The fleet's host names: green-1 … green-N. */
const greenNames = (count: number) => Array.from({ length: count }, (_, i) => `green-${i + 1}`);

/** The machine's CPU time, busy and total, in ms over every core (os.cpus()). */
function cpuTimes(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

export async function run(args: string[]): Promise<{ table: string; json: unknown }> {
  const hosts = intOption(args, '--hosts', 200);
  const batchSize = intOption(args, '--batch', 20);
  const policy: DeployPolicy = { batchSize, maxSessions: batchSize, minimumHealthy: '100%' };
  ensureDebianPackages(['openssh-server']);

  let rssMax = process.memoryUsage().rss;
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 100);
  const root = mkdtempSync(join(tmpdir(), 'meridian-bench-fleet-'));
  const cleanups: (() => Promise<unknown>)[] = [async () => rmSync(root, { recursive: true, force: true })];
  try {
    // Addresses: the fleet's green hosts, then the calibration region's, then each region's one blue host.
    const sshd: FleetHosts = await startFleetHosts(hosts + CALIBRATION_HOSTS + 2);
    cleanups.unshift(() => sshd.stop());
    const artifacts = await startArtifactServer();
    cleanups.unshift(() => artifacts.close());
    const health = createServer((req, res) => res.writeHead(req.url === '/health' ? 200 : 404).end('ok\n'));
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    cleanups.unshift(() => new Promise((resolve) => health.close(resolve)));
    const healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health`;

    const shared = {
      baseDir: '/srv/unused',
      // Light: the "service" is a pid file and a restart timestamp; the health server answers for every host.
      restartCommand: 'echo $$ > ../../app.pid && date +%s%N > ../../restarted-at',
      healthUrl,
      port: sshd.port,
      healthTimeoutSeconds: 60,
      healthIntervalSeconds: 0.5,
      knownHosts: sshd.knownHostsLine,
      connectTimeoutSeconds: 120,
      commandTimeoutSeconds: 300,
    };
    const addresses = [...sshd.addresses];
    const fleetHosts = greenNames(hosts);
    const regionConfig = (region: string, count: number) => {
      const host = (name: string) => ({ name, address: addresses.shift()!, baseDir: join(root, region, name) });
      const green = { ...shared, hosts: greenNames(count).map(host) };
      return sshDeployConfigSchema.parse({ green, blue: { ...shared, hosts: [host('blue-1')] } });
    };
    const configs = {
      [FLEET_REGION]: regionConfig(FLEET_REGION, hosts),
      [CALIBRATION_REGION]: regionConfig(CALIBRATION_REGION, CALIBRATION_HOSTS),
    };
    const env = { DROPLET_USER: userInfo().username, SSH_PRIVATE_KEY: sshd.clientKey };
    const timings: Record<string, HostTiming[]> = { [FLEET_REGION]: [], [CALIBRATION_REGION]: [] };
    const deployers = Object.fromEntries(Object.entries(configs).map(([r, cfg]) => [r, timed(createSshDeployer(cfg, env), timings[r]!)]));
    const real = createDeployActivities((region) => deployers[region]!);
    // The deploy activity as the worker runs it, timed in-process, with the machine's CPU use over it.
    const activityRuns: { region: string; seconds: number; cpuBusy: number; ownCpuSeconds: number; hostsCpuSeconds: number }[] = [];
    const deploy: typeof real.deploy = async (req) => {
      const [t0, c0, own0, hosts0] = [performance.now(), cpuTimes(), process.cpuUsage(), hostsCpuSeconds(sshd.pids)];
      try {
        return await real.deploy(req);
      } finally {
        const [c1, own] = [cpuTimes(), process.cpuUsage(own0)];
        activityRuns.push({
          region: req.ctx.region,
          seconds: (performance.now() - t0) / 1000,
          cpuBusy: (c1.busy - c0.busy) / (c1.total - c0.total),
          ownCpuSeconds: (own.user + own.system) / 1e6,
          hostsCpuSeconds: hostsCpuSeconds(sshd.pids) - hosts0,
        });
      }
    };
    const world = new StubWorld([FLEET_REGION, CALIBRATION_REGION], {
      fleetSizes: { [FLEET_REGION]: { green: hosts, blue: 1 }, [CALIBRATION_REGION]: { green: CALIBRATION_HOSTS, blue: 1 } },
    });

    const [temporal, bundle] = await Promise.all([startBenchServer(), workflowBundle()]);
    cleanups.unshift(() => temporal.close());
    const taskQueue = `bench-fleet-${runTag()}`;
    const worker = await Worker.create({
      connection: temporal.connection,
      namespace: 'default',
      taskQueue,
      workflowBundle: bundle,
      activities: { ...world.activities(), deploy },
      ...WORKER_LIMITS,
    });
    const tag = runTag();
    const artifact: Artifact = artifacts.publish(
      'app-v1.0.0.tar.gz',
      makeTarGz({ VERSION: 'v1.0.0\n', 'bin/app': '#!/bin/sh\necho app\n', 'README.md': 'bench artifact\n'.repeat(200) }),
    );
    /** One rollout of a one-region fleet; its region workflow's history figures. */
    const rollout = async (region: string, deployPolicy: DeployPolicy): Promise<HistoryFigures> => {
      const service = `bench-fleet-${region}-${tag}`;
      const request: RolloutRequest = {
        service,
        version: 'v1.0.0',
        artifact: { url: artifact.url, sha256: artifact.sha256 },
        regions: [region],
        strategy: 'sequential',
        stages: STAGES,
        timeScale: TIME_SCALE,
        deployPolicy,
      };
      const handle = await temporal.client.workflow.start(WORKFLOW_TYPES.rollout, {
        taskQueue,
        workflowId: rolloutWorkflowId(service),
        args: [request],
      });
      const result = (await handle.result()) as { outcome: string; summary?: string };
      if (result.outcome !== 'succeeded')
        throw new Error(`the ${region} rollout ended ${result.outcome}: ${JSON.stringify(result).slice(0, 2000)}`);
      return historyFigures(
        (await temporal.client.workflow.getHandle(regionWorkflowId(service, region)).fetchHistory()).events as HistoryEvent[],
      );
    };
    const started = Date.now();
    const [calibration, fleet] = await worker.runUntil(async () => {
      const one = await rollout(CALIBRATION_REGION, { batchSize: 1, maxSessions: 1, minimumHealthy: '100%' });
      return [one, await rollout(FLEET_REGION, policy)] as const;
    });
    const benchSeconds = (Date.now() - started) / 1000;
    clearInterval(sampler);

    // Every host really restarted with the release.
    const restarted = fleetHosts.filter((name) => {
      try {
        return readFileSync(join(root, FLEET_REGION, name, 'current', 'VERSION'), 'utf8') === 'v1.0.0\n';
      } catch {
        return false;
      }
    }).length;
    if (restarted !== hosts) throw new Error(`only ${restarted} of ${hosts} hosts have v1.0.0 live`);

    const calibrationTimes = timings[CALIBRATION_REGION]!;
    const fleetTimes = timings[FLEET_REGION]!;
    // One host's deploy time, as a host of the fleet took it in this run: on one machine the stand-in
    // hosts share the worker's cores, so a host alone (the calibration) is faster than any host of a
    // batch can be here; a real fleet's hosts each have their own. Both are printed.
    const oneHost = percentile(fleetTimes.map(duration), 50);
    const oneHostAlone = percentile(calibrationTimes.map(duration), 50);
    const batches = Math.ceil(hosts / batchSize);
    const idealSeconds = round((batches * oneHost) / 1000);
    const wallSeconds = round(fleet.deploySeconds);
    const ratio = round(wallSeconds / idealSeconds);
    const workerRssMiB = Math.round(rssMax / 2 ** 20);
    // Each batch's span (first start to last end), and the gaps between batches (the activity's own overhead).
    const order = new Map(fleetHosts.map((name, i) => [name, i]));
    const spans = Array.from({ length: batches }, (_, b) => {
      const inBatch = fleetTimes.filter((t) => Math.floor(order.get(t.host)! / batchSize) === b);
      return Math.max(...inBatch.map((t) => t.end)) - Math.min(...inBatch.map((t) => t.start));
    });
    const starts = Array.from({ length: batches }, (_, b) =>
      Math.min(...fleetTimes.filter((t) => Math.floor(order.get(t.host)! / batchSize) === b).map((t) => t.start)),
    );
    const ends = Array.from({ length: batches }, (_, b) =>
      Math.max(...fleetTimes.filter((t) => Math.floor(order.get(t.host)! / batchSize) === b).map((t) => t.end)),
    );
    const gaps = starts.slice(1).map((s, i) => s - ends[i]!);
    const runOf = (region: string) => activityRuns.find((a) => a.region === region)!;
    const stepNames = [...new Set([...calibrationTimes, ...fleetTimes].flatMap((t) => Object.keys(t.steps)))];
    const stepMedian = (ts: HostTiming[], s: string) =>
      round(
        percentile(
          ts.map((t) => t.steps[s] ?? 0),
          50,
        ),
        0,
      );
    const pct = (x: number) => `${Math.round(x * 100)}%`;

    const head = [
      `fleet bench: ${hosts} hosts, batches of ${batchSize} (maxSessions ${batchSize}, worker cap ${WORKER_DEPLOY_SESSIONS},` +
        ` minimumHealthy 100%), one region, strategy sequential, timeScale ${TIME_SCALE}; real SSH to ${sshd.pids.length} sshd` +
        ` listeners (≤ ${MAX_LISTEN_SOCKS} loopback addresses each), dev server, worker in-process, ${availableParallelism()} cores`,
      `one host = median deployHost of the fleet's hosts in this run: ${round(oneHost, 0)} ms; ideal = ${batches} batches × that;` +
        ` alone (${CALIBRATION_HOSTS} hosts one at a time): ${round(oneHostAlone, 0)} ms,` +
        ` ideal ${round((batches * oneHostAlone) / 1000)} s`,
    ].join('\n');
    // On one machine the stand-in hosts share the worker's cores: the deploy cannot beat its CPU seconds / cores.
    const fleetRun = runOf(FLEET_REGION);
    const cpuFloorSeconds = round((fleetRun.ownCpuSeconds + fleetRun.hostsCpuSeconds) / availableParallelism());
    const summary = table(
      [
        'hosts',
        'batch',
        'deploy wall s',
        'ideal s',
        'ratio',
        'CPU floor s',
        'wall / max(ideal, floor)',
        'events/region',
        'RSS MiB (max)',
        'sched→start s',
      ],
      [
        [
          hosts,
          batchSize,
          wallSeconds,
          idealSeconds,
          ratio,
          cpuFloorSeconds,
          round(wallSeconds / Math.max(idealSeconds, cpuFloorSeconds)),
          fleet.events,
          workerRssMiB,
          round(fleet.scheduleToStartSeconds),
        ],
      ],
    );
    const note =
      `CPU floor: (this process's + the sshd listeners' and their children's CPU seconds during the fleet deploy) / ` +
      `${availableParallelism()} cores: the stand-in hosts run on the worker's machine, a real fleet's on their own`;
    const row = (label: string, ts: HostTiming[], region: string, history: HistoryFigures, batchCols: (string | number)[]) => {
      const run = runOf(region);
      const ds = ts.map(duration);
      return [
        label,
        ts.length,
        round(percentile(ds, 50), 0),
        round(percentile(ds, 95), 0),
        round(Math.max(...ds), 0),
        ...batchCols,
        round(history.deploySeconds),
        round(run.seconds),
        pct(run.cpuBusy),
        round(run.ownCpuSeconds),
        round(run.hostsCpuSeconds),
        ...stepNames.map((s) => stepMedian(ts, s)),
      ];
    };
    const detail = table(
      [
        '',
        'hosts',
        'host p50 ms',
        'host p95 ms',
        'host max ms',
        'batch span p50 ms',
        'gap between batches p50 ms',
        'deploy activity s (history)',
        'in-process s',
        'machine CPU busy',
        'this process CPU s',
        'sshd + host commands CPU s',
        ...stepNames.map((s) => `${s} p50 ms`),
      ],
      [
        row('calibration (1 at a time)', calibrationTimes, CALIBRATION_REGION, calibration, ['', '']),
        row(`fleet (${batchSize} at a time)`, fleetTimes, FLEET_REGION, fleet, [
          round(percentile(spans, 50), 0),
          gaps.length ? round(percentile(gaps, 50), 1) : '',
        ]),
      ],
    );
    return {
      table: [head, '', summary, '', note, '', detail, '', `bench wall (both rollouts): ${round(benchSeconds, 1)} s`].join('\n'),
      json: { hosts, batchSize, wallSeconds, idealSeconds, ratio, eventsPerRegion: fleet.events, workerRssMiB },
    };
  } finally {
    clearInterval(sampler);
    for (const c of cleanups) await c().catch(() => undefined);
  }
}
