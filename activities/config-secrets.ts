// Which secrets each served region needs, and whether they look right. Checked at worker start:
// a missing key for a region's deploy would otherwise surface mid-rollout as a rollback.
// Messages name the variable that holds (or should hold) the value, never the value.
import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import type { DeployConfig } from './deploy.js';
import { addressVariables } from './ssh/deploy-config.js';
import { isHostOrIp } from './host-address.js';
import { createNotifyChannel, type ChannelConfig } from './notify.js';
import { lookupSecret, regionSuffix, secretName, type Env } from './secrets.js';
import type { TrafficConfig } from './traffic.js';

/** What the secrets check reads of the worker config. */
interface SecretsView {
  regions: Record<string, { deploy: DeployConfig; traffic: TrafficConfig; dns?: unknown }>;
  grafana: { url?: string };
  notify: { channels: ChannelConfig[] };
}

/** The secrets the worker reads besides its notification channels' webhooks (each also as NAME__<REGION>). */
const SECRET_NAMES = [
  'DROPLET_IP_GREEN',
  'DROPLET_IP_BLUE',
  'LB_IP',
  'DROPLET_USER',
  'SSH_PRIVATE_KEY',
  'SSH_PRIVATE_KEY_PATH',
  'SSH_PRIVATE_KEY_PASSPHRASE',
  'PROMETHEUS_PUSHGATEWAY_URL',
  'CF_ZONE_ID',
  'CF_API_TOKEN',
  'CF_RECORD_ID_API',
  'GRAFANA_API_KEY',
] as const;

type Check = (value: string) => string | undefined;

const ip: Check = (v) => (isIP(v) ? undefined : 'must be an IPv4 or IPv6 address');
const hostOrIp: Check = (v) => (isHostOrIp(v) ? undefined : 'must be an IP address or a host name');
const httpUrl: Check = (v) => {
  try {
    return /^https?:$/.test(new URL(v).protocol) ? undefined : 'must be an http(s) URL';
  } catch {
    return 'must be an http(s) URL';
  }
};
const token: Check = (v) => (/^\S{8,}$/.test(v) ? undefined : 'must be a token without spaces (8 characters or more)');
const id: Check = (v) => (/^[A-Za-z0-9]{1,64}$/.test(v) ? undefined : 'must be a Cloudflare ID (letters and digits)');
const user: Check = (v) => (/^[a-z_][a-z0-9_.-]{0,31}$/i.test(v) ? undefined : 'must be a user name (letters, digits, "_ . -")');
const privateKey: Check = (v) =>
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(v.replace(/\\n/g, '\n'))
    ? undefined
    : 'must be a PEM/OpenSSH private key ("-----BEGIN … PRIVATE KEY-----")';
const readable: Check = (v) => {
  try {
    accessSync(v, constants.R_OK);
    return undefined;
  } catch (err) {
    return `names a file that cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
};

const FORMATS: Partial<Record<(typeof SECRET_NAMES)[number], Check>> = {
  PROMETHEUS_PUSHGATEWAY_URL: httpUrl,
  DROPLET_IP_BLUE: ip,
  DROPLET_IP_GREEN: ip,
  LB_IP: ip,
  DROPLET_USER: user,
  SSH_PRIVATE_KEY: privateKey,
  SSH_PRIVATE_KEY_PATH: readable,
  CF_ZONE_ID: id,
  CF_RECORD_ID_API: id,
  CF_API_TOKEN: token,
  GRAFANA_API_KEY: token,
};

/** The variable a region's value comes from: NAME__REGION if set, else NAME. */
function sourceOf(env: Env, name: string, region?: string): string | undefined {
  if (region && env[secretName(name, region)]) return secretName(name, region);
  return env[name] ? name : undefined;
}

export function checkSecrets(config: SecretsView, regions: string[], env: Env): { problems: string[]; warnings: string[] } {
  const problems = new Set<string>();
  const warnings: string[] = [];

  const channels = config.notify.channels.map(createNotifyChannel);
  const summary = channels.flatMap((c) => c.summaryWebhookSecret ?? []);
  const webhooks = [...channels.map((c) => c.webhookSecret), ...summary];
  /** A fleet's `env:` addresses: any variable name the config gives. */
  const fleetAddresses = new Set(
    regions.flatMap((r) => {
      const deploy = config.regions[r]!.deploy;
      return deploy.kind === 'ssh' ? addressVariables(deploy).map((a) => a.name) : [];
    }),
  );
  const format = (name: string): Check | undefined =>
    webhooks.includes(name) ? httpUrl : (FORMATS[name as keyof typeof FORMATS] ?? (fleetAddresses.has(name) ? hostOrIp : undefined));

  /** Validates the region's value if present; reports it missing when `required`. */
  const check = (name: string, region: string | undefined, required?: string): string | undefined => {
    const value = lookupSecret(env, name, region);
    const from = sourceOf(env, name, region);
    if (!value || !from) {
      if (required)
        problems.add(
          `${name} is not set${region ? ` for region ${region} (set ${secretName(name, region)} or ${name})` : ''}: ${required}`,
        );
      return undefined;
    }
    const bad = format(name)?.(value);
    if (bad) problems.add(`${from} ${bad}`);
    return value;
  };

  for (const region of regions) {
    const rc = config.regions[region]!;
    if (rc.deploy.kind === 'ssh') {
      for (const a of addressVariables(rc.deploy)) check(a.name, region, a.what);
      check('DROPLET_USER', region, 'the SSH user for deploys');
      check('SSH_PRIVATE_KEY_PASSPHRASE', region);
      if (lookupSecret(env, 'SSH_PRIVATE_KEY', region)) check('SSH_PRIVATE_KEY', region);
      else check('SSH_PRIVATE_KEY_PATH', region, 'an SSH key for deploys (or set SSH_PRIVATE_KEY)');
    }

    if (rc.traffic.kind === 'haproxy' && rc.traffic.adminSocket.startsWith('{LB_IP}:'))
      check('LB_IP', region, `regions.${region}.traffic.adminSocket uses {LB_IP}`);

    const dns = `regions.${region}.dns is configured`;
    check('CF_ZONE_ID', region, rc.dns ? dns : undefined);
    check('CF_API_TOKEN', region, rc.dns ? dns : undefined);
    check('CF_RECORD_ID_API', region, rc.dns ? dns : undefined);
    if (!rc.dns && lookupSecret(env, 'CF_RECORD_ID_API', region))
      warnings.push(`CF_RECORD_ID_API is set but regions.${region}.dns is not configured: DNS stays as it is in ${region}`);

    // Every channel's webhook is checked (its format), not only the first one set.
    const regional = channels.map((c) => c.webhookSecret);
    const set = regional.filter((name) => check(name, region));
    if (set.length === 0)
      warnings.push(
        `no notification channel for region ${region}: set ${regional.join(' or ')} (or their __${regionSuffix(region)} forms)`,
      );
    check('PROMETHEUS_PUSHGATEWAY_URL', region);
    const grafanaKey = check('GRAFANA_API_KEY', region);
    if (config.grafana.url && !grafanaKey) warnings.push(`grafana.url is set but GRAFANA_API_KEY is not: no annotations for ${region}`);
  }
  const summarySet = summary.filter((name) => check(name, undefined));
  if (summary.length && summarySet.length === 0)
    warnings.push(`${summary.join(' or ')} is not set: rollout summaries go to the regional channels only`);
  check('PROMETHEUS_PUSHGATEWAY_URL', undefined);

  // A suffix that matches no served region is usually a typo (NAME__US_EAS) that silently falls back to NAME.
  const suffixes = new Set(Object.keys(config.regions).map(regionSuffix));
  for (const key of Object.keys(env)) {
    const m = /^([A-Z_]+?)__([A-Z0-9_]+)$/.exec(key);
    if (m && [...SECRET_NAMES, ...webhooks].includes(m[1]!) && !suffixes.has(m[2]!)) {
      warnings.push(`${key} matches no configured region (${[...suffixes].join(', ')})`);
    }
  }
  return { problems: [...problems], warnings: [...new Set(warnings)] };
}
