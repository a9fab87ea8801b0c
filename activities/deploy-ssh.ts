// deploy.sh's job for one host of a colour's fleet: install an immutable artifact on it over SSH,
// switch its `current` release, restart it and wait until it answers healthy. The Deployer of
// `deploy.kind` "ssh" (deploy.ts), one per region; deploy-batches.ts runs it host by host.
//
// Host layout (per region, per colour, per host):  <baseDir>/releases/<version>/  (unpacked artifact + .sha256)
//                                         <baseDir>/current -> <baseDir>/releases/<version>
// The health URL is polled FROM the host (curl over the same SSH session), as deploy.sh did: the service
// usually listens on the droplet's loopback, which the worker cannot and should not reach.
import { readFile } from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ChangeReport, DeployRequest } from '../domain/ports.js';
import type { Deployer } from './deployer.js';
import { RELEASE_TAG } from '../domain/rollout-input.js';
import { nonRetryable } from './errors.js';
import { lookupSecret, secretName, type Env } from './secrets.js';
import { connectPinned } from './ssh/connect.js';
import { remoteRunner, type Run } from './ssh/remote-run.js';
import { parseHostKeyPin, type HostKeyPin } from './ssh/host-key.js';
import { shellQuote as q } from './ssh/shell-quote.js';
import { vendor } from './vendor-choice.js';

import { hostsOf, sshDeployConfigSchema, type SshColourTarget, type SshDeployConfig, type SshHost } from './ssh/deploy-config.js';

export { sshDeployConfigSchema, type SshDeployConfig };

const SHA256 = /^[a-f0-9]{64}$/;

interface Secrets {
  host: string;
  username: string;
  privateKey: string;
  passphrase?: string;
}

/** Secrets for one host in one region; a missing one names the variables to set, never a value. */
async function hostSecrets(env: Env, region: string, address: SshHost['address']): Promise<Secrets> {
  const need = (name: string): string => {
    const v = lookupSecret(env, name, region);
    if (!v)
      throw nonRetryable('ConfigurationError', `${name} is not set for region ${region} (set ${secretName(name, region)} or ${name})`);
    return v;
  };
  const host = 'literal' in address ? address.literal : need(address.variable);
  const username = need('DROPLET_USER');
  let privateKey = lookupSecret(env, 'SSH_PRIVATE_KEY', region);
  if (privateKey) {
    // CI systems often store a PEM on one line with literal "\n".
    if (!privateKey.includes('\n')) privateKey = privateKey.replace(/\\n/g, '\n');
  } else {
    const path = lookupSecret(env, 'SSH_PRIVATE_KEY_PATH', region);
    if (!path) throw nonRetryable('ConfigurationError', `neither SSH_PRIVATE_KEY nor SSH_PRIVATE_KEY_PATH is set for region ${region}`);
    try {
      privateKey = await readFile(path, 'utf8');
    } catch (err) {
      throw nonRetryable(
        'ConfigurationError',
        `SSH_PRIVATE_KEY_PATH for region ${region} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
  }
  const passphrase = lookupSecret(env, 'SSH_PRIVATE_KEY_PASSPHRASE', region);
  return { host, username, privateKey, ...(passphrase ? { passphrase } : {}) };
}

/** Defense in depth: the workflow validated these already, but they end up in shell commands. */
function validateRequest(req: DeployRequest): void {
  const bad = (what: string) => nonRetryable('InvalidArgument', `deploy refused: ${what}`);
  if (req.colour !== 'blue' && req.colour !== 'green') throw bad('colour must be "blue" or "green"');
  if (typeof req.version !== 'string' || req.version.length > 64 || !RELEASE_TAG.test(req.version))
    throw bad('version must be a release tag like "v1.12.3"');
  if (typeof req.artifact?.sha256 !== 'string' || !SHA256.test(req.artifact.sha256))
    throw bad('artifact.sha256 must be 64 lowercase hex characters');
  let url: URL;
  try {
    url = new URL(req.artifact.url);
  } catch {
    throw bad('artifact.url is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw bad('artifact.url must be http(s)');
}

/** The deployer of one region (the worker picks it by the request's region); secrets are looked up for that region. */
export function createSshDeployer(cfg: SshDeployConfig, env: Env): Deployer {
  const fleets = { blue: hostsOf(cfg, 'blue'), green: hostsOf(cfg, 'green') };
  return {
    hosts: (colour) => fleets[colour].map((h) => h.name),

    async deployHost(req: DeployRequest, name: string, progress: (step: string) => void): Promise<ChangeReport> {
      validateRequest(req);
      const { ctx, colour } = req;
      const host = fleets[colour].find((h) => h.name === name);
      if (!host) throw nonRetryable('ConfigurationError', `${colour} in ${ctx.region} has no host ${name}`);
      const t = host.target;
      const field = (s: keyof SshColourTarget) => `regions.${ctx.region}.deploy.${host.field(s)}`;
      const secrets = await hostSecrets(env, ctx.region, host.address);
      const actx = Context.current();
      // The single-host form keeps its messages: its host is named after the colour.
      const label = name === colour ? colour : `${colour} ${name}`;
      const where = `${label} in ${ctx.region}`;
      const pins = [t.knownHosts].flat().map((s) => parseHostKeyPin(s) as HostKeyPin);

      progress('connect');
      const ssh = await connectPinned({
        host: secrets.host,
        port: t.port,
        username: secrets.username,
        privateKey: secrets.privateKey,
        ...(secrets.passphrase ? { passphrase: secrets.passphrase } : {}),
        pins,
        readyTimeoutMs: t.connectTimeoutSeconds * 1000,
        where,
        pinField: field('knownHosts'),
      });
      try {
        const run = remoteRunner(ssh, progress, where, [secrets.host, secrets.username], t.commandTimeoutSeconds);
        // A cancelled activity stops waiting at once; `finally` closes the session.
        return await Promise.race([deployOn(run, req, { t, name, label, where, healthField: field('healthUrl') }, actx), actx.cancelled]);
      } finally {
        ssh.dispose();
      }
    },
  };
}

export const sshDeployer = vendor('ssh', sshDeployConfigSchema, createSshDeployer);

interface LiveState {
  /** Version `current` points to, if it points into releases/. */
  current?: string;
  /** The requested version's .sha256 marker; set only once its unpack completed. */
  marker?: string;
  releaseExists: boolean;
}

/** The host being deployed: its settings, name, name in summaries ("green" or "green green-2") and messages, and health field. */
interface HostRun {
  t: SshColourTarget;
  name: string;
  label: string;
  where: string;
  healthField: string;
}

async function deployOn(
  run: Run,
  req: DeployRequest,
  { t, name, label, where, healthField }: HostRun,
  actx: Context,
): Promise<ChangeReport> {
  const { ctx, colour, version, artifact } = req;
  const releases = `${t.baseDir}/releases`;
  const release = `${releases}/${version}`;
  const current = `${t.baseDir}/current`;

  const state = await inspect(run, t.baseDir, release);
  const upToDate = state.marker === artifact.sha256 && state.current === version;
  const was = state.current ?? 'none';

  const healthy = async (attempt?: number): Promise<{ ok: boolean; status: string }> => {
    const r = await run('health', `curl -sS -o /dev/null -w '%{http_code}' --max-time 5 ${q(t.healthUrl)}`, {
      allowFail: true,
      ...(attempt ? { attempt } : {}),
    });
    const status = /^\d{3}$/.test(r.stdout) && r.stdout !== '000' ? `HTTP ${r.stdout}` : 'no answer';
    return { ok: /^2\d\d$/.test(r.stdout), status };
  };

  if (ctx.dryRun) {
    if (upToDate) {
      const h = await healthy();
      return {
        changed: false,
        summary: h.ok
          ? `${version} already live on ${label}: no-op`
          : `would restart ${version} on ${label}: live but unhealthy (${h.status})`,
      };
    }
    return { changed: false, summary: `would deploy ${version} to ${label} (current: ${was})` };
  }

  if (upToDate) {
    const h = await healthy();
    if (h.ok) return { changed: false, summary: `${version} already live on ${label}: no-op` };
  } else {
    if (state.marker !== artifact.sha256) {
      if (state.releaseExists && state.current === version) {
        // Versions are immutable: the live release came from another artifact, and replacing it in place is not atomic.
        throw nonRetryable(
          'ChecksumMismatch',
          `${version} is live on ${where} from a different artifact ` +
            `(sha256 ${state.marker || 'unknown'}, requested ${artifact.sha256}): publish a new version`,
        );
      }
      await install(run, releases, release, version, artifact, where);
    }
    await run('switch', `ln -sfn ${q(release)} ${q(`${t.baseDir}/.current.tmp`)} && mv -T ${q(`${t.baseDir}/.current.tmp`)} ${q(current)}`);
  }

  const exported = { MERIDIAN_VERSION: version, MERIDIAN_RELEASE_DIR: release, MERIDIAN_COLOUR: colour, MERIDIAN_HOST: name };
  const vars = Object.entries(exported).map(([k, v]) => `${k}=${q(v)}`);
  await run(
    'restart',
    `cd ${q(release)} && ${vars.join(' ')} && export ${Object.keys(exported).join(' ')} && sh -c ${q(t.restartCommand)}`,
  );

  // Poll until 2xx or the deadline; a timeout is retryable (the host may still be warming up).
  const deadline = Date.now() + t.healthTimeoutSeconds * 1000;
  for (let attempt = 1; ; attempt++) {
    const h = await healthy(attempt);
    if (h.ok) break;
    if (Date.now() >= deadline) {
      throw ApplicationFailure.create({
        type: 'HealthCheckTimeout',
        message:
          `${version} on ${where} was not healthy within ${t.healthTimeoutSeconds}s after restart ` +
          `(last: ${h.status} from ${healthField})`,
      });
    }
    await actx.sleep(t.healthIntervalSeconds * 1000);
  }
  return upToDate
    ? { changed: true, summary: `restarted ${version} on ${label}: it was live but unhealthy` }
    : { changed: true, summary: `deployed ${version} to ${label} (was ${was})` };
}

/** Reads what is live without changing anything (dry runs use it too). */
async function inspect(run: Run, baseDir: string, release: string): Promise<LiveState> {
  const r = await run(
    'inspect',
    [
      `printf 'current=%s\\n' "$(readlink ${q(`${baseDir}/current`)} 2>/dev/null)"`,
      `printf 'marker=%s\\n' "$(cat ${q(`${release}/.sha256`)} 2>/dev/null)"`,
      `if [ -d ${q(release)} ]; then echo release=yes; else echo release=no; fi`,
    ].join('; '),
  );
  const kv = Object.fromEntries(r.stdout.split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1).trim()]));
  // Accept absolute or relative links into releases/ (older tooling may have made either).
  const m = /^(?:.*\/)?releases\/([^/]+)\/?$/.exec(kv.current ?? '');
  const current = m?.[1] && RELEASE_TAG.test(m[1]) ? m[1] : undefined;
  return { ...(current ? { current } : {}), ...(kv.marker ? { marker: kv.marker } : {}), releaseExists: kv.release === 'yes' };
}

/** Download on the host, verify, unpack beside the target and rename into place: a release dir is complete or absent. */
async function install(
  run: Run,
  releases: string,
  release: string,
  version: string,
  artifact: DeployRequest['artifact'],
  where: string,
): Promise<void> {
  const download = `${releases}/.${version}.download`;
  const staging = `${release}.tmp`;
  await run('prepare', `mkdir -p ${q(releases)}`);
  await run('fetch', `curl -fsSL --proto '=http,https' --retry 2 --connect-timeout 20 -o ${q(download)} ${q(artifact.url)}`);
  const sum = await run('verify', `sha256sum ${q(download)}`);
  const got = sum.stdout.split(/\s+/)[0] ?? '';
  if (got !== artifact.sha256) {
    await run('cleanup', `rm -f ${q(download)}`, { allowFail: true });
    throw nonRetryable(
      'ChecksumMismatch',
      `artifact for ${version} fetched on ${where} has sha256 ${got || 'unknown'}, expected ${artifact.sha256}: nothing was installed`,
    );
  }
  await run(
    'unpack',
    [
      `rm -rf ${q(staging)}`,
      `mkdir ${q(staging)}`,
      `tar -xzf ${q(download)} -C ${q(staging)} --no-same-owner`,
      `printf '%s\\n' ${q(artifact.sha256)} > ${q(`${staging}/.sha256`)}`,
      `rm -rf ${q(release)}`,
      `mv -T ${q(staging)} ${q(release)}`,
      `rm -f ${q(download)}`,
    ].join(' && '),
  );
}
