// deploy.sh's job as an activity: install an immutable artifact on a colour's droplet over SSH,
// switch that colour's `current` release, restart it and wait until it answers healthy.
// The Deployer of `deploy.kind` "ssh" (deploy.ts), one per region.
//
// Host layout (per region, per colour):  <baseDir>/releases/<version>/  (unpacked artifact + .sha256)
//                                         <baseDir>/current -> <baseDir>/releases/<version>
// The health URL is polled FROM the host (curl over the same SSH session), as deploy.sh did: the service
// usually listens on the droplet's loopback, which the worker cannot and should not reach.
import { readFile } from 'node:fs/promises';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { Colour } from '../domain/metrics.js';
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

const SEGMENT = /^[A-Za-z0-9._@+-]+$/;
const absoluteDir = z
  .string()
  .max(1024)
  .refine((p) => {
    const segs = p.replace(/\/$/, '').split('/');
    return p.startsWith('/') && segs.length > 1 && segs.slice(1).every((s) => SEGMENT.test(s) && s !== '.' && s !== '..');
  }, 'must be an absolute directory like "/srv/payments-api/green" (letters, digits, ". _ @ + -"; no "..", not "/")')
  .transform((p) => p.replace(/\/$/, ''));

const hostKeyPin = z.string().superRefine((s, ctx) => {
  const pin = parseHostKeyPin(s);
  if (typeof pin === 'string') ctx.addIssue({ code: 'custom', message: pin });
});

const sshColourTargetSchema = z.strictObject({
  /** The colour's directory on its host: releases/ and the current symlink live here. */
  baseDir: absoluteDir,
  /** Operator-owned shell command, run from the new release with MERIDIAN_VERSION, MERIDIAN_RELEASE_DIR, MERIDIAN_COLOUR set. */
  restartCommand: z.string().trim().min(1).max(4096),
  /** Polled from the host itself with curl; 2xx = healthy. */
  healthUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  port: z.number().int().min(1).max(65535).default(22),
  healthTimeoutSeconds: z.number().int().min(1).max(3600).default(120),
  healthIntervalSeconds: z.number().positive().max(60).default(2),
  /** The host's key: a known_hosts line or "SHA256:..." fingerprint; a list pins several (key rotation). */
  knownHosts: z.union([hostKeyPin, z.array(hostKeyPin).min(1)]),
  connectTimeoutSeconds: z.number().int().min(1).max(300).default(20),
  /** Upper bound for one remote step (artifact download, restart). */
  commandTimeoutSeconds: z.number().int().min(1).max(3600).default(600),
});
type SshColourTarget = z.output<typeof sshColourTargetSchema>;

/** One region's SSH targets, `regions.<r>.deploy` in the worker config (kind "ssh"). */
export const sshDeployConfigSchema = z.strictObject({ blue: sshColourTargetSchema, green: sshColourTargetSchema });
export type SshDeployConfig = z.output<typeof sshDeployConfigSchema>;

const SHA256 = /^[a-f0-9]{64}$/;

interface Secrets {
  host: string;
  username: string;
  privateKey: string;
  passphrase?: string;
}

/** Secrets for one colour in one region; a missing one names the variables to set, never a value. */
async function colourSecrets(env: Env, region: string, colour: Colour): Promise<Secrets> {
  const need = (name: string): string => {
    const v = lookupSecret(env, name, region);
    if (!v)
      throw nonRetryable('ConfigurationError', `${name} is not set for region ${region} (set ${secretName(name, region)} or ${name})`);
    return v;
  };
  const host = need(`DROPLET_IP_${colour.toUpperCase()}`);
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
  return {
    async deploy(req: DeployRequest): Promise<ChangeReport> {
      validateRequest(req);
      const { ctx, colour } = req;
      const target = cfg[colour];
      const field = `regions.${ctx.region}.deploy.${colour}`;
      const secrets = await colourSecrets(env, ctx.region, colour);
      const actx = Context.current();
      const where = `${colour} in ${ctx.region}`;
      const pins = [target.knownHosts].flat().map((s) => parseHostKeyPin(s) as HostKeyPin);

      actx.heartbeat({ step: 'connect' });
      const ssh = await connectPinned({
        host: secrets.host,
        port: target.port,
        username: secrets.username,
        privateKey: secrets.privateKey,
        ...(secrets.passphrase ? { passphrase: secrets.passphrase } : {}),
        pins,
        readyTimeoutMs: target.connectTimeoutSeconds * 1000,
        where,
        pinField: `${field}.knownHosts`,
      });
      try {
        const run = remoteRunner(ssh, actx, where, [secrets.host, secrets.username], target.commandTimeoutSeconds);
        // A cancelled activity stops waiting at once; `finally` closes the session.
        return await Promise.race([deployOn(run, req, target, field, actx), actx.cancelled]);
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

async function deployOn(run: Run, req: DeployRequest, t: SshColourTarget, field: string, actx: Context): Promise<ChangeReport> {
  const { ctx, colour, version, artifact } = req;
  const where = `${colour} in ${ctx.region}`;
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
          ? `${version} already live on ${colour}: no-op`
          : `would restart ${version} on ${colour}: live but unhealthy (${h.status})`,
      };
    }
    return { changed: false, summary: `would deploy ${version} to ${colour} (current: ${was})` };
  }

  if (upToDate) {
    const h = await healthy();
    if (h.ok) return { changed: false, summary: `${version} already live on ${colour}: no-op` };
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

  const vars = `MERIDIAN_VERSION=${q(version)} MERIDIAN_RELEASE_DIR=${q(release)} MERIDIAN_COLOUR=${q(colour)}`;
  await run(
    'restart',
    `cd ${q(release)} && ${vars} && export MERIDIAN_VERSION MERIDIAN_RELEASE_DIR MERIDIAN_COLOUR && sh -c ${q(t.restartCommand)}`,
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
          `(last: ${h.status} from ${field}.healthUrl)`,
      });
    }
    await actx.sleep(t.healthIntervalSeconds * 1000);
  }
  return upToDate
    ? { changed: true, summary: `restarted ${version} on ${colour}: it was live but unhealthy` }
    : { changed: true, summary: `deployed ${version} to ${colour} (was ${was})` };
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
