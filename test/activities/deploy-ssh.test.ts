// The SSH deploy against a real sshd on loopback, a real artifact over HTTP and a real service
// started by the restart command. The "remote" baseDirs are temp dirs on this machine.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeployActivities } from '../../activities/deploy.js';
import type { DeployProgress } from '../../activities/deploy-batches.js';
import { createSshDeployer, sshDeployConfigSchema, type SshDeployConfig } from '../../activities/deploy-ssh.js';
import { parseHostKeyPin } from '../../activities/ssh/host-key.js';
import { shellQuote } from '../../activities/ssh/shell-quote.js';
import type { Env } from '../../activities/secrets.js';
import { DEFAULT_DEPLOY_POLICY, type FleetDeployReport } from '../../domain/fleet.js';
import type { ChangeReport, DeployRequest } from '../../domain/ports.js';
import type { Colour } from '../../domain/metrics.js';
import { ensureDebianPackages } from '../../lab/debian.js';
import { makeTarGz, startArtifactServer, type ArtifactServer } from '../helpers/artifact-server.js';
import { expectNoSecrets, serializeError } from '../helpers/secrets.js';
import { freePort, generateKey, sshKeygenFingerprint, startSshd, type Sshd } from '../helpers/sshd.js';

// The release's service: answers /health with the version file shipped in the artifact and the env the restart exported.
const SERVER_CJS =
  `
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');
const version = fs.readFileSync(path.join(__dirname, 'VERSION'), 'utf8').trim();
http.createServer((req, res) => {
  if (req.url !== '/health') { res.writeHead(404); res.end(); return; }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ version, env: process.env.MERIDIAN_VERSION, colour: process.env.MERIDIAN_COLOUR, ` +
  `releaseDir: process.env.MERIDIAN_RELEASE_DIR }));
}).listen(Number(process.argv[2]), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

/** An operator's restart script: stop the previous service (pid file), start the new release detached. */
function restartScript(baseDir: string, port: number): string {
  const pidf = `${baseDir}/app.pid`;
  return [
    `pidf=${shellQuote(pidf)}`,
    // Wait for the old process to exit (a zombie counts as gone: the port is free).
    `if [ -f "$pidf" ]; then old=$(cat "$pidf"); kill "$old" 2>/dev/null; i=0; ` +
      `while [ $i -lt 100 ] && s=$(awk '/^State:/{print $2}' /proc/$old/status 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ]; ` +
      `do sleep 0.1; i=$((i+1)); done; fi`,
    `nohup ${shellQuote(process.execPath)} "$MERIDIAN_RELEASE_DIR/server.cjs" ${port} ` +
      `</dev/null >>${shellQuote(`${baseDir}/app.log`)} 2>&1 &`,
    `echo $! > "$pidf"`,
  ].join('\n');
}

// The mock's default logger prints every expected failure; keep test output to real problems.
const quiet = new DefaultLogger('ERROR');

let sshd: Sshd;
let artifacts: ArtifactServer;
let root: string;
let greenDir: string;
let blueDir: string;
let appPort: number;
let env: Env;
let cfg: SshDeployConfig;
/** Every summary, error message and heartbeat the activity produced: checked for secrets at the end. */
const emitted: string[] = [];
const published = new Map<string, { url: string; sha256: string }>();

function publish(version: string) {
  const a = artifacts.publish(`svc-${version}.tar.gz`, makeTarGz({ VERSION: `${version}\n`, 'server.cjs': SERVER_CJS }));
  published.set(version, a);
  return a;
}

function request(version: string, opts: { colour?: Colour; dryRun?: boolean; region?: string; sha256?: string } = {}): DeployRequest {
  const a = published.get(version) ?? publish(version);
  return {
    ctx: { correlationId: 'rollout-payments-api', service: 'payments-api', region: opts.region ?? 'us-east', dryRun: opts.dryRun ?? false },
    colour: opts.colour ?? 'green',
    version,
    artifact: { url: a.url, sha256: opts.sha256 ?? a.sha256 },
    policy: DEFAULT_DEPLOY_POLICY,
  };
}

/** Deploys the colour's one host (named after the colour) in an activity context; `steps` is the progress it reported. */
async function deploy(req: DeployRequest, config = cfg, secrets = env): Promise<{ report: ChangeReport; steps: string[] }> {
  const menv = new MockActivityEnvironment(undefined, { logger: quiet });
  const steps: string[] = [];
  const deployer = createSshDeployer(config, secrets);
  try {
    const report = (await menv.run(() => deployer.deployHost(req, req.colour, (s) => steps.push(s)))) as ChangeReport;
    emitted.push(report.summary, JSON.stringify(steps));
    return { report, steps };
  } catch (err) {
    emitted.push(JSON.stringify(steps));
    throw err;
  }
}

/** The deploy activity (batches over the colour's hosts), as the worker registers it; `beats` is what it heartbeated. */
async function deployActivity(
  req: DeployRequest,
  config = cfg,
  secrets = env,
): Promise<{ report: FleetDeployReport; beats: DeployProgress[] }> {
  const menv = new MockActivityEnvironment(undefined, { logger: quiet });
  const beats: DeployProgress[] = [];
  menv.on('heartbeat', (d: DeployProgress) => beats.push(structuredClone(d)));
  const report = (await menv.run(createDeployActivities(() => createSshDeployer(config, secrets)).deploy, req)) as FleetDeployReport;
  emitted.push(JSON.stringify(report), JSON.stringify(beats));
  return { report, beats };
}

/** Runs a deploy that must fail; returns the failure after recording its message chain. */
async function deployFails(req: DeployRequest, config = cfg, secrets = env): Promise<ApplicationFailure> {
  const err = await deploy(req, config, secrets).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ApplicationFailure);
  emitted.push(serializeError(err));
  return err as ApplicationFailure;
}

async function served(): Promise<{ version: string; env: string; colour: string; releaseDir: string }> {
  const res = await fetch(`http://127.0.0.1:${appPort}/health`);
  expect(res.status).toBe(200);
  return (await res.json()) as { version: string; env: string; colour: string; releaseDir: string };
}

const livePid = (dir: string) => readFileSync(join(dir, 'app.pid'), 'utf8').trim();
const currentOf = (dir: string) => readlinkSync(join(dir, 'current'));
const tree = (dir: string) => execFileSync('find', [dir, '-printf', '%p %y %l %s\n'], { encoding: 'utf8' }).split('\n').sort().join('\n');

function targetConfig(baseDir: string, over: Record<string, unknown> = {}) {
  return {
    baseDir,
    restartCommand: restartScript(baseDir, appPort),
    healthUrl: `http://127.0.0.1:${appPort}/health`,
    port: sshd.port,
    healthTimeoutSeconds: 30,
    healthIntervalSeconds: 0.5,
    knownHosts: sshd.knownHostsLine,
    ...over,
  };
}

function configWith(over: { green?: Record<string, unknown>; blue?: Record<string, unknown> }): SshDeployConfig {
  return sshDeployConfigSchema.parse({ green: targetConfig(greenDir, over.green), blue: targetConfig(blueDir, over.blue) });
}

function killService(dir: string): void {
  const pidFile = join(dir, 'app.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

beforeAll(async () => {
  ensureDebianPackages(['openssh-server']);
  sshd = await startSshd();
  artifacts = await startArtifactServer();
  appPort = await freePort();
  root = mkdtempSync(join(tmpdir(), 'meridian-deploy-'));
  greenDir = join(root, 'payments-api', 'green');
  blueDir = join(root, 'payments-api', 'blue');
  // Green's host IP is region-specific, blue's global; the key comes as content for green's region.
  env = { DROPLET_IP_GREEN__US_EAST: sshd.host, DROPLET_IP_BLUE: sshd.host, DROPLET_USER: 'root', SSH_PRIVATE_KEY: sshd.clientKey };
  cfg = configWith({});
});

afterAll(async () => {
  if (greenDir) killService(greenDir);
  if (blueDir) killService(blueDir);
  await artifacts?.close();
  await sshd?.stop();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('shellQuote', () => {
  it('passes any string through sh unchanged', () => {
    for (const s of [`it's`, `$(touch /tmp/pwned) \`id\` $HOME`, `a'b'"c"\\d`, `; rm -rf / #`, `new\nline`, '', `'`]) {
      expect(execFileSync('sh', ['-c', `printf %s ${shellQuote(s)}`], { encoding: 'utf8' })).toBe(s);
    }
  });
});

describe('config and host key pins', () => {
  it('computes the same fingerprint as ssh-keygen from a known_hosts line', () => {
    expect(parseHostKeyPin(sshd.knownHostsLine)).toEqual({ fingerprint: sshd.fingerprint, keyType: 'ssh-ed25519' });
    expect(parseHostKeyPin(sshd.fingerprint)).toEqual({ fingerprint: sshd.fingerprint });
  });

  it('rejects bad base dirs and pins with messages naming the field', () => {
    const bad = (green: Record<string, unknown>) =>
      sshDeployConfigSchema.safeParse({ green: targetConfig(greenDir, green), blue: targetConfig(blueDir) });
    for (const baseDir of ['relative/dir', '/', '/srv/../etc', '/srv/a b', "/srv/it's"]) {
      const r = bad({ baseDir });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual(['green', 'baseDir']);
    }
    for (const knownHosts of ['accept-any', 'ssh-ed25519 AAAAnotakey', '@cert-authority * ssh-ed25519 AAAA', 'SHA256:short']) {
      const r = bad({ knownHosts });
      expect(r.success).toBe(false);
      expect(r.error!.issues.some((i) => i.path.join('.').startsWith('green.knownHosts'))).toBe(true);
    }
    expect(bad({ healthUrl: 'ftp://x/health' }).success).toBe(false);
    expect(bad({}).success).toBe(true);
  });
});

describe('deploy over SSH', () => {
  it('installs, switches current, restarts and waits for health on the first deploy', async () => {
    const { report, steps } = await deploy(request('v1.0.0'));
    expect(report).toEqual({ changed: true, summary: 'deployed v1.0.0 to green (was none)' });
    expect(currentOf(greenDir)).toBe(join(greenDir, 'releases', 'v1.0.0'));
    expect(readFileSync(join(greenDir, 'releases', 'v1.0.0', '.sha256'), 'utf8').trim()).toBe(published.get('v1.0.0')!.sha256);
    expect(await served()).toEqual({ version: 'v1.0.0', env: 'v1.0.0', colour: 'green', releaseDir: join(greenDir, 'releases', 'v1.0.0') });
    expect(artifacts.downloads('svc-v1.0.0.tar.gz')).toBe(1);
    // Nothing half-done is left beside the release.
    expect(readdirSync(join(greenDir, 'releases'))).toEqual(['v1.0.0']);
    const names = steps.map((s) => s.replace(/ \(attempt \d+\)$/, ''));
    for (const step of ['connect', 'inspect', 'fetch', 'verify', 'unpack', 'switch', 'restart', 'health']) expect(names).toContain(step);
  });

  it('reports the same version twice as a no-op without downloading or restarting; the activity sees one host, "green"', async () => {
    const pid = livePid(greenDir);
    const { report } = await deploy(request('v1.0.0'));
    expect(report).toEqual({ changed: false, summary: 'v1.0.0 already live on green: no-op' });
    const { report: fleet, beats } = await deployActivity(request('v1.0.0'));
    expect(fleet).toEqual({
      changed: false,
      summary: 'green in us-east: 1 of 1 hosts healthy on v1.0.0',
      hosts: [{ host: 'green', healthy: true }],
    });
    expect(beats.at(-1)).toEqual({ done: [{ host: 'green', healthy: true }], running: {} });
    expect(artifacts.downloads('svc-v1.0.0.tar.gz')).toBe(1);
    expect(livePid(greenDir)).toBe(pid);
    expect((await served()).version).toBe('v1.0.0');
  });

  it('switches current to a new version and keeps the previous release for rollback', async () => {
    const pid = livePid(greenDir);
    const { report } = await deploy(request('v1.1.0'));
    expect(report).toEqual({ changed: true, summary: 'deployed v1.1.0 to green (was v1.0.0)' });
    expect(currentOf(greenDir)).toBe(join(greenDir, 'releases', 'v1.1.0'));
    expect(livePid(greenDir)).not.toBe(pid);
    expect((await served()).version).toBe('v1.1.0');
    expect(readdirSync(join(greenDir, 'releases')).sort()).toEqual(['v1.0.0', 'v1.1.0']);
  });

  it('refuses an artifact whose sha256 does not match, non-retryably, leaving current alone', async () => {
    publish('v1.2.0');
    const wrong = 'f'.repeat(64);
    const err = await deployFails(request('v1.2.0', { sha256: wrong }));
    expect(err.type).toBe('ChecksumMismatch');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain(wrong);
    expect(err.message).toContain(published.get('v1.2.0')!.sha256);
    expect(currentOf(greenDir)).toBe(join(greenDir, 'releases', 'v1.1.0'));
    expect(readdirSync(join(greenDir, 'releases')).sort()).toEqual(['v1.0.0', 'v1.1.0']);
    expect((await served()).version).toBe('v1.1.0');
    // Through the activity, the failure is the host's outcome: the workflow decides what too few healthy hosts mean.
    const { report } = await deployActivity(request('v1.2.0', { sha256: wrong }));
    expect(report.changed).toBe(false);
    expect(report.hosts).toEqual([
      {
        host: 'green',
        healthy: false,
        reason: expect.stringContaining(`fetched on green in us-east has sha256 ${published.get('v1.2.0')!.sha256}`),
      },
    ]);
  });

  it('in a dry run reports what it would deploy and changes nothing (fingerprint pin)', async () => {
    const byFingerprint = configWith({ green: { knownHosts: sshd.fingerprint } });
    const before = tree(greenDir);
    const pid = livePid(greenDir);
    const { report } = await deploy(request('v1.3.0', { dryRun: true }), byFingerprint);
    expect(report).toEqual({ changed: false, summary: 'would deploy v1.3.0 to green (current: v1.1.0)' });
    const live = await deploy(request('v1.1.0', { dryRun: true }), byFingerprint);
    expect(live.report).toEqual({ changed: false, summary: 'v1.1.0 already live on green: no-op' });
    expect(tree(greenDir)).toBe(before);
    expect(livePid(greenDir)).toBe(pid);
    expect(artifacts.downloads('svc-v1.3.0.tar.gz')).toBe(0);
  });

  it('rolls back to a kept release by switching current, without downloading it again', async () => {
    const { report } = await deploy(request('v1.0.0'));
    expect(report).toEqual({ changed: true, summary: 'deployed v1.0.0 to green (was v1.1.0)' });
    expect(artifacts.downloads('svc-v1.0.0.tar.gz')).toBe(1);
    expect(currentOf(greenDir)).toBe(join(greenDir, 'releases', 'v1.0.0'));
    expect((await served()).version).toBe('v1.0.0');
  });

  it('refuses to replace the live release with a different artifact of the same version', async () => {
    const impostor = artifacts.publish('svc-v1.0.0-rebuilt.tar.gz', makeTarGz({ VERSION: 'rebuilt\n', 'server.cjs': SERVER_CJS }));
    const before = tree(greenDir);
    const err = await deployFails({ ...request('v1.0.0'), artifact: impostor });
    expect(err.type).toBe('ChecksumMismatch');
    expect(err.nonRetryable).toBe(true);
    expect(err.message).toContain('publish a new version');
    expect(tree(greenDir)).toBe(before);
    expect((await served()).version).toBe('v1.0.0');
  });

  it('refuses a host whose key is not the pinned one, naming both fingerprints', async () => {
    const other = generateKey(root, 'other_host');
    const otherLine = `[127.0.0.1]:${sshd.port} ${readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')}`;
    const otherFp = sshKeygenFingerprint(`${other}.pub`);
    for (const knownHosts of [otherLine, otherFp]) {
      const before = tree(greenDir);
      const err = await deployFails(request('v1.3.0'), configWith({ green: { knownHosts } }));
      expect(err.type).toBe('HostKeyMismatch');
      expect(err.nonRetryable).toBe(true);
      expect(err.message).toContain(`expected ${otherFp}`);
      expect(err.message).toContain(`presented ${sshd.fingerprint}`);
      expect(tree(greenDir)).toBe(before);
    }
  });

  it('fails non-retryably when the host refuses the key', async () => {
    const stranger = generateKey(root, 'stranger');
    const err = await deployFails(request('v1.3.0'), cfg, { ...env, SSH_PRIVATE_KEY: readFileSync(stranger, 'utf8') });
    expect(err.type).toBe('AuthenticationError');
    expect(err.nonRetryable).toBe(true);
  });

  it('fails retryably when the host does not answer, without quoting its address', async () => {
    const closed = await freePort();
    const err = await deployFails(request('v1.3.0'), configWith({ green: { port: closed } }));
    expect(err.type).toBe('SshConnectionError');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('refuses shell-hostile versions and digests before touching the host', async () => {
    const req = request('v1.1.0');
    for (const bad of [
      { ...req, version: "v1.0.0'; touch /tmp/pwned; '" },
      { ...req, version: 'v1.0.0 && reboot' },
      { ...req, artifact: { ...req.artifact, sha256: `${'a'.repeat(63)}'` } },
      { ...req, artifact: { ...req.artifact, url: 'file:///etc/shadow' } },
    ]) {
      const err = await deployFails(bad);
      expect(err.type).toBe('InvalidArgument');
      expect(err.nonRetryable).toBe(true);
    }
  });

  it('names the missing secret without a value', async () => {
    const noIp = await deployFails(request('v1.3.0', { region: 'us-east' }), cfg, { ...env, DROPLET_IP_GREEN__US_EAST: undefined });
    expect(noIp.type).toBe('ConfigurationError');
    expect(noIp.message).toContain('DROPLET_IP_GREEN__US_EAST');
    const badKey = await deployFails(request('v1.3.0'), cfg, { ...env, SSH_PRIVATE_KEY: 'not a key' });
    expect(badKey.type).toBe('ConfigurationError');
    expect(badKey.message).toContain('SSH_PRIVATE_KEY');
  });

  it('times out retryably when the service never becomes healthy, heartbeating while it polls (blue, key from a path)', async () => {
    const deadPort = await freePort();
    const blue = configWith({
      blue: { restartCommand: 'true', healthUrl: `http://127.0.0.1:${deadPort}/health`, healthTimeoutSeconds: 2 },
    });
    const keyByPath = { ...env, SSH_PRIVATE_KEY: undefined, SSH_PRIVATE_KEY_PATH: sshd.clientKeyPath };
    const menv = new MockActivityEnvironment(undefined, { logger: quiet });
    const steps: string[] = [];
    const deployer = createSshDeployer(blue, keyByPath);
    const err = (await menv
      .run(() => deployer.deployHost(request('v1.1.0', { colour: 'blue' }), 'blue', (s) => steps.push(s)))
      .catch((e: unknown) => e)) as ApplicationFailure;
    emitted.push(serializeError(err), JSON.stringify(steps));
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err.type).toBe('HealthCheckTimeout');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('regions.us-east.deploy.blue.healthUrl');
    expect(steps.filter((s) => /^health \(attempt \d+\)$/.test(s)).length).toBeGreaterThan(1);
    // The release is in place even though it is unhealthy: the retry only restarts and polls again.
    expect(currentOf(blueDir)).toBe(join(blueDir, 'releases', 'v1.1.0'));
  });

  it('stops at once when the activity is cancelled during the health poll (the batch runner heartbeats the step)', async () => {
    const deadPort = await freePort();
    const slow = configWith({
      blue: { restartCommand: 'true', healthUrl: `http://127.0.0.1:${deadPort}/health`, healthTimeoutSeconds: 600 },
    });
    const menv = new MockActivityEnvironment(undefined, { logger: quiet });
    menv.on('heartbeat', (d: DeployProgress) => {
      if (d.running.blue === 'health (attempt 2)') menv.cancel();
    });
    const started = Date.now();
    const deploy = createDeployActivities(() => createSshDeployer(slow, env)).deploy;
    const err = await menv.run(deploy, request('v1.1.0', { colour: 'blue' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it('reports a failing restart command with its exit code and stderr, the host address redacted', async () => {
    // v1.1.0 is live on blue but unhealthy, so the deploy restarts it rather than reporting a no-op.
    const deadPort = await freePort();
    const failing = configWith({
      blue: { restartCommand: `echo "cannot bind 127.0.0.1:80" >&2; exit 3`, healthUrl: `http://127.0.0.1:${deadPort}/health` },
    });
    const err = await deployFails(request('v1.1.0', { colour: 'blue' }), failing);
    expect(err.type).toBe('RemoteCommandFailed');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).toContain('exit code 3');
    expect(err.message).toContain('cannot bind [redacted]:80');
  });

  it('never lets the host address or the private key into reports, heartbeats or errors', () => {
    expect(emitted.length).toBeGreaterThan(20);
    const keyBody = sshd.clientKey.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'));
    for (const text of emitted) expectNoSecrets(text, [sshd.host, ...keyBody]);
  });
});
