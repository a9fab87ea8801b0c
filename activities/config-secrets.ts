// Which secrets each served region needs, and whether they look right. Checked at worker start:
// a missing key for a region's deploy would otherwise surface mid-rollout as a rollback.
// Messages name the variable that holds (or should hold) the value, never the value.
import { accessSync, constants } from 'node:fs';
import { isIP } from 'node:net';
import type { TrafficConfig } from './traffic.js';

/** What the secrets check reads of the worker config. */
interface SecretsView {
  regions: Record<string, { traffic: TrafficConfig; dns?: unknown }>;
  grafana: { url?: string };
}
import { lookupSecret, regionSuffix, secretName, type Env } from './secrets.js';

/** Every secret name the worker reads (each also as NAME__<REGION>). */
export const SECRET_NAMES = [
  'SLACK_WEBHOOK_URL',
  'GLOBAL_SLACK_WEBHOOK',
  'TEAMS_WEBHOOK_URL',
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
type SecretName = (typeof SECRET_NAMES)[number];

type Check = (value: string) => string | undefined;

const ip: Check = (v) => (isIP(v) ? undefined : 'must be an IPv4 or IPv6 address');
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
  /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(v.replace(/\\n/g, '\n')) ? undefined : 'must be a PEM/OpenSSH private key ("-----BEGIN … PRIVATE KEY-----")';
const readable: Check = (v) => {
  try {
    accessSync(v, constants.R_OK);
    return undefined;
  } catch (err) {
    return `names a file that cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
};

const FORMATS: Partial<Record<SecretName, Check>> = {
  SLACK_WEBHOOK_URL: httpUrl,
  GLOBAL_SLACK_WEBHOOK: httpUrl,
  TEAMS_WEBHOOK_URL: httpUrl,
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

  /** Validates the region's value if present; reports it missing when `required`. */
  const check = (name: SecretName, region: string | undefined, required?: string): string | undefined => {
    const value = lookupSecret(env, name, region);
    const from = sourceOf(env, name, region);
    if (!value || !from) {
      if (required) problems.add(`${name} is not set${region ? ` for region ${region} (set ${secretName(name, region)} or ${name})` : ''}: ${required}`);
      return undefined;
    }
    const bad = FORMATS[name]?.(value);
    if (bad) problems.add(`${from} ${bad}`);
    return value;
  };

  for (const region of regions) {
    const rc = config.regions[region]!;
    check('DROPLET_IP_BLUE', region, 'the blue droplet to deploy to');
    check('DROPLET_IP_GREEN', region, 'the green droplet to deploy to');
    check('DROPLET_USER', region, 'the SSH user for deploys');
    check('SSH_PRIVATE_KEY_PASSPHRASE', region);
    if (lookupSecret(env, 'SSH_PRIVATE_KEY', region)) check('SSH_PRIVATE_KEY', region);
    else check('SSH_PRIVATE_KEY_PATH', region, 'an SSH key for deploys (or set SSH_PRIVATE_KEY)');

    if (rc.traffic.kind === 'haproxy' && rc.traffic.adminSocket.startsWith('{LB_IP}:')) check('LB_IP', region, `regions.${region}.traffic.adminSocket uses {LB_IP}`);

    const dns = `regions.${region}.dns is configured`;
    check('CF_ZONE_ID', region, rc.dns ? dns : undefined);
    check('CF_API_TOKEN', region, rc.dns ? dns : undefined);
    check('CF_RECORD_ID_API', region, rc.dns ? dns : undefined);
    if (!rc.dns && lookupSecret(env, 'CF_RECORD_ID_API', region)) warnings.push(`CF_RECORD_ID_API is set but regions.${region}.dns is not configured: DNS stays as it is in ${region}`);

    const slack = check('SLACK_WEBHOOK_URL', region);
    const teams = check('TEAMS_WEBHOOK_URL', region);
    if (!slack && !teams) warnings.push(`no notification channel for region ${region}: set SLACK_WEBHOOK_URL or TEAMS_WEBHOOK_URL (or their __${regionSuffix(region)} forms)`);
    check('PROMETHEUS_PUSHGATEWAY_URL', region);
    const grafanaKey = check('GRAFANA_API_KEY', region);
    if (config.grafana.url && !grafanaKey) warnings.push(`grafana.url is set but GRAFANA_API_KEY is not: no annotations for ${region}`);
  }
  if (!check('GLOBAL_SLACK_WEBHOOK', undefined)) warnings.push('GLOBAL_SLACK_WEBHOOK is not set: rollout summaries go to the regional channels only');
  check('PROMETHEUS_PUSHGATEWAY_URL', undefined);

  // A suffix that matches no served region is usually a typo (NAME__US_EAS) that silently falls back to NAME.
  const suffixes = new Set(Object.keys(config.regions).map(regionSuffix));
  for (const key of Object.keys(env)) {
    const m = /^([A-Z_]+?)__([A-Z0-9_]+)$/.exec(key);
    if (m && (SECRET_NAMES as readonly string[]).includes(m[1]!) && !suffixes.has(m[2]!)) {
      warnings.push(`${key} matches no configured region (${[...suffixes].join(', ')})`);
    }
  }
  return { problems: [...problems], warnings: [...new Set(warnings)] };
}
