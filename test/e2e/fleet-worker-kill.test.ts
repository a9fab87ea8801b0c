// Drill (issue #21): the green colour is a fleet of six hosts over REAL SSH (one sshd on six loopback
// addresses, a baseDir each), deployed in batches of two with two sessions as ONE activity that
// heartbeats every finished host. Two worker processes poll one task queue; `kill -9` the one running
// the deploy once the server has recorded at least one batch done and before all are. The survivor
// retries the activity after its heartbeat timeout; the retry resumes from the last heartbeat: no host
// finished before the kill is deployed again, none is skipped, and the rollout promotes.
//
// Each host's restart command appends `<host> start <ms>` / `<host> end <ms>` to a log and sleeps;
// each host's health URL (polled from the "host" with curl, as in production) answers 200 only once
// the host's last restart ended, and the test's health server records every check: a deploy that
// touches a host at all (even a no-op one) shows up as a health check.
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DeployProgress } from '../../activities/deploy-batches.js';
import { shellQuote } from '../../activities/ssh/shell-quote.js';
import { regionWorkflowId, rolloutWorkflowId, WORKFLOW_TYPES } from '../../domain/contract.js';
import type { FleetDeployReport } from '../../domain/fleet.js';
import type { RolloutResult } from '../../domain/outcome.js';
import { ensureDebianPackages } from '../../lab/debian.js';
import { makeTarGz, startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import type { FleetWorkerEnv } from '../helpers/fleet-worker.js';
import { uniqueQueue } from '../helpers/ids.js';
import { waitUntil } from '../helpers/services.js';
import { startSshd, type Sshd } from '../helpers/sshd.js';
import { devServerEnv, workflowBundle } from '../helpers/temporal.js';
import { lastEvents, resultWithin } from '../helpers/workflow-result.js';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process.js';
import { request } from '../workflows/harness.js';

const REGION = 'us-east';
const VERSION = 'v2.1.0';
const HOSTS = Array.from({ length: 6 }, (_, i) => `green-${i + 1}`);
const ADDRESSES = HOSTS.map((_, i) => `127.0.0.${61 + i}`);
const POLICY = { batchSize: 2, maxSessions: 2 };
/**
 * A restart takes 3 s, so a batch 4 to 5 s (SSH steps, health). The worker sends a deploy's heartbeats
 * at most every 5 s (WORKER_LIMITS, kept here), so the server's record of finished hosts moves in 5-s
 * steps: with batches this long at least one step lands while 2 or 4 of the 6 hosts are done.
 */
const RESTART_SECONDS = 3;
/** The deploy activity's heartbeat timeout (workflows/activity-stubs.ts) plus its first retry interval. */
const RETRY_AFTER_MS = 30_000 + 10_000;

let env: TestWorkflowEnvironment;
let sshd: Sshd;
let artifacts: ArtifactServer;
let health: Server;
let healthPort: number;
const dir = mkdtempSync(join(tmpdir(), 'meridian-fleet-kill-'));
const restartLog = join(dir, 'restarts.log');
/** Every health check the hosts made, in order. */
const checks: { host: string; at: number }[] = [];
const spawned: WorkerProcess[] = [];

/** The restart log as [host, event, ms] lines. */
function restarts(): [string, 'start' | 'end', number][] {
  if (!existsSync(restartLog)) return [];
  return readFileSync(restartLog, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' '))
    .map(([host, event, ms]) => [host!, event as 'start' | 'end', Number(ms)]);
}

/** A host is healthy once its last restart ended (it never is between a restart's start and end). */
function serveHealth(path: string): number {
  const host = path.replace(/^\/health\//, '');
  checks.push({ host, at: Date.now() });
  return restarts()
    .filter(([h]) => h === host)
    .at(-1)?.[1] === 'end'
    ? 200
    : 503;
}

beforeAll(async () => {
  ensureDebianPackages(['openssh-server']);
  [env, sshd, artifacts] = await Promise.all([devServerEnv(import.meta.url), startSshd({ listen: ADDRESSES }), startArtifactServer()]);
  health = createServer((req, res) => res.writeHead(serveHealth(req.url ?? '')).end());
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
  healthPort = (health.address() as AddressInfo).port;
});

afterAll(async () => {
  await Promise.allSettled(spawned.map((w) => w.kill()));
  await env?.teardown();
  await artifacts?.close();
  await new Promise((resolve) => health?.close(resolve));
  await sshd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** The region's deploy config: green a fleet of six hosts on their own addresses and baseDirs; blue never deployed. */
function deployConfig() {
  const log = shellQuote(restartLog);
  const stamp = (event: string) => `echo "$MERIDIAN_HOST ${event} $(date +%s%3N)" >> ${log}`;
  return {
    blue: {
      baseDir: join(dir, 'blue-1'),
      restartCommand: 'true',
      healthUrl: `http://127.0.0.1:${healthPort}/health/blue-1`,
      knownHosts: sshd.knownHostsLine,
      port: sshd.port,
      hosts: [{ name: 'blue-1', address: '127.0.0.70' }],
    },
    green: {
      baseDir: '/srv/unused',
      restartCommand: `${stamp('start')}; sleep ${RESTART_SECONDS}; ${stamp('end')}`,
      healthUrl: `http://127.0.0.1:${healthPort}/health/unused`,
      healthTimeoutSeconds: 10,
      healthIntervalSeconds: 0.2,
      knownHosts: sshd.knownHostsLine,
      port: sshd.port,
      hosts: HOSTS.map((name, i) => ({
        name,
        address: ADDRESSES[i]!,
        baseDir: join(dir, name),
        healthUrl: `http://127.0.0.1:${healthPort}/health/${name}`,
      })),
    },
  };
}

async function startWorker(taskQueue: string): Promise<WorkerProcess> {
  const workerEnv: FleetWorkerEnv = {
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_NAMESPACE: env.namespace!,
    MERIDIAN_TASK_QUEUE: taskQueue,
    MERIDIAN_WORKFLOW_BUNDLE: workflowBundle().codePath,
    FLEET_REGION: REGION,
    FLEET_DEPLOY: JSON.stringify(deployConfig()),
    DROPLET_USER: 'root',
    SSH_PRIVATE_KEY: sshd.clientKey,
  };
  const w = spawnWorker(workerEnv, 'test/helpers/fleet-worker.ts');
  spawned.push(w);
  await waitUntil('the worker to poll', async () => w.stdout().includes('"polling"') || w.child.exitCode !== null, 60_000, 100);
  expect(w.child.exitCode, w.stderr()).toBeNull();
  return w;
}

/** The pid a worker process announced when it started polling (its Temporal identity is `pid@host`). */
const pidOf = (w: WorkerProcess) => w.logs().find((l) => l.event === 'polling')!.pid as number;

/** The region's running deploy as the server last recorded it: the hosts its heartbeats reported done, and its worker. */
async function runningDeploy(workflowId: string): Promise<{ done: string[]; worker?: string }> {
  const { raw } = await env.client.workflow.getHandle(workflowId).describe();
  const deploy = raw.pendingActivities?.find((a) => a.activityType?.name === 'deploy');
  const details = deploy?.heartbeatDetails?.payloads?.[0];
  const done = details ? defaultPayloadConverter.fromPayload<DeployProgress>(details).done.map((o) => o.host) : [];
  return { done, worker: deploy?.lastWorkerIdentity ?? undefined };
}

describe('a fleet deploy, its worker killed mid-batch', () => {
  it('kill -9 the worker deploying a 6-host fleet: the retry resumes, no finished host again, none skipped', async () => {
    const taskQueue = uniqueQueue('fleet-kill');
    // The second worker boots while the first starts the rollout; it polls well before the kill.
    const first = await startWorker(taskQueue);
    const second = startWorker(taskQueue);
    second.catch(() => undefined); // awaited below
    const artifact = artifacts.publish(`svc-${VERSION}.tar.gz`, makeTarGz({ VERSION: `${VERSION}\n` }));
    const req = request({
      regions: [REGION],
      version: VERSION,
      artifact: { url: artifact.url, sha256: artifact.sha256 },
      deployPolicy: POLICY,
      stages: [{ weightPct: 100, maxErrorRatePct: 1, maxLatencyMs: 500, durationMinutes: 1 }],
      checkIntervalSeconds: 60,
      timeScale: 0.01,
    });
    const rolloutId = rolloutWorkflowId(req.service);
    const regionId = regionWorkflowId(req.service, REGION);
    const handle = await env.client.workflow.start(WORKFLOW_TYPES.rollout, { taskQueue, workflowId: rolloutId, args: [req] });
    const explained = async <T>(what: Promise<T>): Promise<T> => {
      try {
        return await what;
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${await lastEvents(env.client, rolloutId)}`, { cause: err });
      }
    };

    // Mid-deploy: the server has recorded at least one finished batch, and not every host.
    let atKill: { done: string[]; worker?: string } = { done: [] };
    await explained(
      waitUntil(
        'the deploy to record 2 to 5 finished hosts',
        async () => {
          atKill = await runningDeploy(regionId);
          return atKill.done.length >= 2 && atKill.done.length < HOSTS.length;
        },
        45_000,
        100,
      ),
    );
    const workers = [first, await second];
    const victim = workers.find((w) => atKill.worker?.startsWith(`${pidOf(w)}@`));
    expect(victim, `a worker with identity ${atKill.worker}`).toBeDefined();
    const survivor = workers.find((w) => w !== victim)!;
    const killedAt = Date.now();
    process.kill(-victim!.child.pid!, 'SIGKILL');
    expect((await victim!.exited).signal).toBe('SIGKILL');

    const result = await resultWithin<RolloutResult>(env.client, handle, RETRY_AFTER_MS + 35_000);
    expect(result.outcome).toBe('succeeded');
    expect(result.regions[REGION]!.outcome).toBe('succeeded');
    expect(survivor.child.exitCode, 'the survivor is still running').toBeNull();

    const log = restarts();
    const lines = (host: string, event: 'start' | 'end') => log.filter(([h, e]) => h === host && e === event).map(([, , at]) => at);
    for (const host of HOSTS) {
      // None skipped: every host's restart ran to its end, once.
      expect(lines(host, 'end'), `${host} ended`).toHaveLength(1);
      const endedBeforeKill = lines(host, 'end')[0]! < killedAt;
      if (atKill.done.includes(host)) {
        // Finished in a heartbeat the server had: the retry did not touch it at all (no restart, no health check).
        expect(endedBeforeKill, host).toBe(true);
        expect(lines(host, 'start'), `${host} started`).toHaveLength(1);
        expect(
          checks.filter((c) => c.host === host && c.at > killedAt),
          `${host} checked after the kill`,
        ).toEqual([]);
      } else if (endedBeforeKill) {
        // Finished after the last heartbeat the server had: deployed again as a no-op (live and healthy), not restarted.
        expect(lines(host, 'start'), `${host} started`).toHaveLength(1);
      } else {
        // Unfinished at the kill: deployed again by the retry, which is idempotent. A host mid-restart at the kill may
        // show one extra `start` (the killed restart, cut off before its end; the retry restarts it), or none when its
        // restart outlived the SSH session and the retry found it live and healthy.
        const starts = lines(host, 'start');
        expect(starts.filter((at) => at < killedAt).length, `${host} started before the kill`).toBeLessThanOrEqual(1);
        expect(starts.filter((at) => at > killedAt).length, `${host} started by the retry`).toBeLessThanOrEqual(1);
        expect(starts.length, `${host} started`).toBeGreaterThanOrEqual(1);
      }
      if (!atKill.done.includes(host)) {
        // …and the retry deployed it (a deploy checks the host's health last, a no-op one too).
        expect(checks.filter((c) => c.host === host && c.at > killedAt).length, `${host} checked after the kill`).toBeGreaterThan(0);
      }
      expect(readlinkSync(join(dir, host, 'current')), host).toBe(join(dir, host, 'releases', VERSION));
    }
    // The kill landed mid-deploy: some hosts were done and some were not.
    expect(atKill.done.length).toBeGreaterThanOrEqual(POLICY.batchSize);
    expect(HOSTS.filter((h) => lines(h, 'end')[0]! > killedAt).length).toBeGreaterThan(0);

    // One deploy activity in the region's history: scheduled once, started (and completed) on its second
    // attempt, by the survivor, with every host healthy.
    const events = (await env.client.workflow.getHandle(regionId).fetchHistory()).events ?? [];
    const scheduled = events.filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'deploy');
    expect(scheduled).toHaveLength(1);
    const id = scheduled[0]!.eventId!.toString();
    const started = events.filter((e) => e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === id);
    expect(started.map((e) => e.activityTaskStartedEventAttributes!.attempt)).toEqual([2]);
    expect(started[0]!.activityTaskStartedEventAttributes!.identity).toMatch(new RegExp(`^${pidOf(survivor)}@`));
    const completed = events.filter((e) => e.activityTaskCompletedEventAttributes?.scheduledEventId?.toString() === id);
    expect(completed).toHaveLength(1);
    const report = defaultPayloadConverter.fromPayload<FleetDeployReport>(
      completed[0]!.activityTaskCompletedEventAttributes!.result!.payloads![0]!,
    );
    expect(report.hosts).toEqual(HOSTS.map((host) => ({ host, healthy: true })));
  });
});
