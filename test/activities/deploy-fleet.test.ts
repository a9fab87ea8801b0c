// A colour's fleet deployed by the deploy activity (batches, session caps, resuming from heartbeats)
// over real SSH: one sshd listening on three loopback addresses, one "host" each, every host with
// its own baseDir. The restart command logs when it starts and ends, so the order is the hosts' own.
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployActivities } from '../../activities/deploy.js';
import type { DeployProgress } from '../../activities/deploy-batches.js';
import { createSshDeployer, sshDeployConfigSchema } from '../../activities/deploy-ssh.js';
import type { Env } from '../../activities/secrets.js';
import { shellQuote } from '../../activities/ssh/shell-quote.js';
import type { DeployPolicy, FleetDeployReport } from '../../domain/fleet.js';
import type { DeployRequest } from '../../domain/ports.js';
import { ensureDebianPackages } from '../../lab/debian.js';
import { makeTarGz, startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { expectNoSecrets } from '../helpers/secrets.js';
import { freePort, startSshd, type Sshd } from '../helpers/sshd.js';

const ADDRESSES = ['127.0.0.11', '127.0.0.12', '127.0.0.13'];
const HOSTS = ['green-1', 'green-2', 'green-3'];
const quiet = new DefaultLogger('ERROR');

let sshd: Sshd;
let artifacts: ArtifactServer;
let health: Server;
let healthUrl: string;
let root: string;
let env: Env;
/** Every report and heartbeat: checked for addresses at the end. */
const emitted: string[] = [];

const dirOf = (host: string) => join(root, host);
const restartLog = () => join(root, 'restarts.log');

/** The fleet's config: green-2's address comes from the environment; `over` overrides a host's settings by name. */
function fleetConfig(over: Record<string, Record<string, unknown>> = {}) {
  const log = shellQuote(restartLog());
  const green = {
    baseDir: '/srv/unused',
    // Each host logs its restart's start and end (ns): overlapping intervals are hosts deployed at once.
    restartCommand: `echo "start $MERIDIAN_HOST $(date +%s%N)" >> ${log}; sleep 0.3; echo "end $MERIDIAN_HOST $(date +%s%N)" >> ${log}`,
    healthUrl,
    port: sshd.port,
    healthTimeoutSeconds: 10,
    healthIntervalSeconds: 0.2,
    knownHosts: sshd.knownHostsLine,
    hosts: HOSTS.map((name, i) => ({
      name,
      address: name === 'green-2' ? 'env:GREEN_2_IP' : ADDRESSES[i],
      baseDir: dirOf(name),
      ...over[name],
    })),
  };
  const blue = { ...green, hosts: [{ name: 'blue-1', address: '127.0.0.21', baseDir: join(root, 'blue-1') }] };
  return sshDeployConfigSchema.parse({ blue, green });
}

function request(version: string, policy: Partial<DeployPolicy> = {}): DeployRequest {
  const artifact = artifacts.publish(`svc-${version}.tar.gz`, makeTarGz({ VERSION: `${version}\n` }));
  return {
    ctx: { correlationId: 'rollout-payments-api', service: 'payments-api', region: 'us-east', dryRun: false },
    colour: 'green',
    version,
    artifact: { url: artifact.url, sha256: artifact.sha256 },
    policy: { batchSize: 1, minimumHealthy: 1, maxSessions: 1, ...policy },
  };
}

/** Runs the deploy activity; `heartbeatDetails` is what a previous attempt heartbeated last. */
async function deploy(
  req: DeployRequest,
  config = fleetConfig(),
  heartbeatDetails?: DeployProgress,
): Promise<{ report: FleetDeployReport; beats: DeployProgress[] }> {
  const menv = new MockActivityEnvironment(heartbeatDetails ? { heartbeatDetails } : undefined, { logger: quiet });
  const beats: DeployProgress[] = [];
  menv.on('heartbeat', (d: DeployProgress) => beats.push(structuredClone(d)));
  const report = (await menv.run(createDeployActivities(() => createSshDeployer(config, env)).deploy, req)) as FleetDeployReport;
  emitted.push(JSON.stringify(report), JSON.stringify(beats));
  return { report, beats };
}

/** The restart log's lines since the log was last cleared, as [event, host, time in ns]. */
function restarts(): [string, string, bigint][] {
  if (!existsSync(restartLog())) return [];
  return readFileSync(restartLog(), 'utf8')
    .trim()
    .split('\n')
    .map((l) => l.split(' '))
    .map(([event, host, ns]) => [event!, host!, BigInt(ns!)]);
}

const release = (host: string) => readlinkSync(join(dirOf(host), 'current'));

beforeAll(async () => {
  ensureDebianPackages(['openssh-server']);
  sshd = await startSshd({ listen: ADDRESSES });
  artifacts = await startArtifactServer();
  health = createServer((_, res) => res.writeHead(200).end('ok'));
  await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
  healthUrl = `http://127.0.0.1:${(health.address() as AddressInfo).port}/health`;
  root = mkdtempSync(join(tmpdir(), 'meridian-fleet-'));
  env = { GREEN_2_IP__US_EAST: ADDRESSES[1], DROPLET_USER: 'root', SSH_PRIVATE_KEY: sshd.clientKey };
});

afterAll(async () => {
  await artifacts?.close();
  await new Promise((resolve) => health?.close(resolve));
  await sshd?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('deploying a fleet over SSH', () => {
  it('lists the hosts by name in config order, per colour', () => {
    const deployer = createSshDeployer(fleetConfig(), env);
    expect(deployer.hosts('green')).toEqual(HOSTS);
    expect(deployer.hosts('blue')).toEqual(['blue-1']);
  });

  it('deploys three hosts one at a time in batches of one with one session, each healthy on its own baseDir', async () => {
    const { report, beats } = await deploy(request('v1.0.0'));
    expect(report).toEqual({
      changed: true,
      summary: 'green in us-east: 3 of 3 hosts healthy on v1.0.0, 3 deployed',
      hosts: HOSTS.map((host) => ({ host, healthy: true })),
    });
    for (const host of HOSTS) expect(release(host)).toBe(join(dirOf(host), 'releases', 'v1.0.0'));
    // In order, each restart ending before the next one starts.
    const log = restarts();
    expect(log.map(([event, host]) => `${event} ${host}`)).toEqual(HOSTS.flatMap((h) => [`start ${h}`, `end ${h}`]));
    for (let i = 1; i < log.length; i++) expect(log[i]![2]).toBeGreaterThanOrEqual(log[i - 1]![2]);
    // The heartbeats never show two hosts under way, and end with every outcome.
    expect(Math.max(...beats.map((b) => Object.keys(b.running).length))).toBe(1);
    expect(beats.at(-1)).toEqual({ done: report.hosts, running: {} });
    expect(beats.map((b) => Object.values(b.running)).flat()).toContain('fetch');
    expect(artifacts.downloads('svc-v1.0.0.tar.gz')).toBe(3);
  });

  it('reports a host whose health check fails as unhealthy, naming the host and not its address; the others are deployed', async () => {
    rmSync(restartLog(), { force: true });
    const dead = `http://127.0.0.1:${await freePort()}/health`;
    const config = fleetConfig({ 'green-2': { healthUrl: dead, healthTimeoutSeconds: 1 } });
    const { report } = await deploy(request('v1.1.0', { minimumHealthy: 1 }), config);
    expect(report.hosts.map((h) => [h.host, h.healthy])).toEqual([
      ['green-1', true],
      ['green-2', false],
      ['green-3', true],
    ]);
    const reason = report.hosts[1]!.reason!;
    expect(reason).toBe(
      'v1.1.0 on green green-2 in us-east was not healthy within 1s after restart ' +
        '(last: no answer from regions.us-east.deploy.green.hosts[1].healthUrl)',
    );
    expect(report.summary).toBe('green in us-east: 2 of 3 hosts healthy on v1.1.0, 2 deployed');
    for (const host of HOSTS) expect(release(host)).toBe(join(dirOf(host), 'releases', 'v1.1.0'));
  });

  it('resumes from the heartbeat: hosts a previous attempt finished are not deployed again', async () => {
    rmSync(restartLog(), { force: true });
    const previous: DeployProgress = {
      done: [
        { host: 'green-1', healthy: true },
        { host: 'green-2', healthy: true },
      ],
      running: { 'green-3': 'fetch' },
    };
    const { report } = await deploy(request('v1.2.0'), fleetConfig(), previous);
    expect(report).toEqual({
      changed: true,
      summary: 'green in us-east: 3 of 3 hosts healthy on v1.2.0, 1 deployed',
      hosts: HOSTS.map((host) => ({ host, healthy: true })),
    });
    expect(restarts().map(([event, host]) => `${event} ${host}`)).toEqual(['start green-3', 'end green-3']);
    expect(release('green-3')).toBe(join(dirOf('green-3'), 'releases', 'v1.2.0'));
    for (const host of ['green-1', 'green-2']) {
      expect(release(host)).toBe(join(dirOf(host), 'releases', 'v1.1.0'));
      expect(existsSync(join(dirOf(host), 'releases', 'v1.2.0'))).toBe(false);
    }
    expect(artifacts.downloads('svc-v1.2.0.tar.gz')).toBe(1);
  });

  it('stops deploying once more hosts failed than the minimum healthy allows', async () => {
    rmSync(restartLog(), { force: true });
    const dead = `http://127.0.0.1:${await freePort()}/health`;
    const config = fleetConfig({ 'green-1': { healthUrl: dead, healthTimeoutSeconds: 1 } });
    const { report } = await deploy(request('v1.3.0', { minimumHealthy: '100%' }), config);
    expect(report.hosts).toEqual([
      { host: 'green-1', healthy: false, reason: expect.stringContaining('green green-1 in us-east was not healthy') },
      { host: 'green-2', healthy: false, reason: 'not deployed: too many hosts failed before it' },
      { host: 'green-3', healthy: false, reason: 'not deployed: too many hosts failed before it' },
    ]);
    expect(report.summary).toBe('green in us-east: 0 of 3 hosts healthy on v1.3.0, 2 not deployed (too many failures)');
    expect(restarts().map(([event, host]) => `${event} ${host}`)).toEqual(['start green-1', 'end green-1']);
    for (const host of ['green-2', 'green-3']) expect(existsSync(join(dirOf(host), 'releases', 'v1.3.0'))).toBe(false);
    expect(artifacts.downloads('svc-v1.3.0.tar.gz')).toBe(1);
  });

  it('names the variable of an env: address that is not set, and refuses a host the colour does not have', async () => {
    const deployer = createSshDeployer(fleetConfig(), { ...env, GREEN_2_IP__US_EAST: undefined });
    const menv = new MockActivityEnvironment(undefined, { logger: quiet });
    const req = request('v1.4.0');
    await expect(menv.run(() => deployer.deployHost(req, 'green-2', () => {}))).rejects.toMatchObject({
      type: 'ConfigurationError',
      nonRetryable: true,
      message: 'GREEN_2_IP is not set for region us-east (set GREEN_2_IP__US_EAST or GREEN_2_IP)',
    });
    await expect(menv.run(() => deployer.deployHost(req, 'blue-1', () => {}))).rejects.toMatchObject({
      type: 'ConfigurationError',
      message: 'green in us-east has no host blue-1',
    });
    expect(artifacts.downloads('svc-v1.4.0.tar.gz')).toBe(0);
  });

  it('never lets a host address or the private key into reports or heartbeats', () => {
    expect(emitted.length).toBeGreaterThanOrEqual(8);
    const keyBody = sshd.clientKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
    for (const text of emitted) expectNoSecrets(text, [...ADDRESSES, ...keyBody]);
  });
});
