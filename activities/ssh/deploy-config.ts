// `regions.<r>.deploy` of kind "ssh": per colour, either one host (today's form: its address is the
// DROPLET_IP_<COLOUR> secret, its name the colour) or a fleet, `hosts: [{ name, address, ... }]`, each
// host taking the colour's settings unless it overrides them. Names are what cards, status and the
// balancer show; addresses are secrets and no message quotes one.
import { z } from 'zod';
import type { Colour } from '../../domain/metrics.js';
import { hostAddress, hostAddressSchema, type HostAddress } from '../host-address.js';
import { byForm } from '../vendor-choice.js';
import { parseHostKeyPin } from './host-key.js';

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

/** Every setting of a host, none defaulted: a fleet's host overrides any of them. */
const settings = {
  /** The colour's directory on its host: releases/ and the current symlink live here. */
  baseDir: absoluteDir,
  /** Operator-owned shell command, run from the new release with MERIDIAN_VERSION, _RELEASE_DIR, _COLOUR and _HOST (its name) set. */
  restartCommand: z.string().trim().min(1).max(4096),
  /** Polled from the host itself with curl; 2xx = healthy. */
  healthUrl: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }),
  port: z.number().int().min(1).max(65535),
  healthTimeoutSeconds: z.number().int().min(1).max(3600),
  healthIntervalSeconds: z.number().positive().max(60),
  /** The host's key: a known_hosts line or "SHA256:..." fingerprint; a list pins several (key rotation). */
  knownHosts: z.union([hostKeyPin, z.array(hostKeyPin).min(1)]),
  connectTimeoutSeconds: z.number().int().min(1).max(300),
  /** Upper bound for one remote step (artifact download, restart). */
  commandTimeoutSeconds: z.number().int().min(1).max(3600),
};

/** One host's settings: the single-host form of a colour, and the shared defaults of a fleet. */
const sshColourTargetSchema = z.strictObject({
  ...settings,
  port: settings.port.default(22),
  healthTimeoutSeconds: settings.healthTimeoutSeconds.default(120),
  healthIntervalSeconds: settings.healthIntervalSeconds.default(2),
  connectTimeoutSeconds: settings.connectTimeoutSeconds.default(20),
  commandTimeoutSeconds: settings.commandTimeoutSeconds.default(600),
});
export type SshColourTarget = z.output<typeof sshColourTargetSchema>;

const hostSchema = z
  .strictObject(settings)
  .partial()
  .extend({
    /** What cards, status and the load balancer's server call the host. */
    name: z.string().regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, 'must be a DNS label like "green-1" (a-z, 0-9 and "-", at most 63)'),
    address: hostAddressSchema,
  });

const fleetSchema = sshColourTargetSchema
  .extend({ knownHosts: settings.knownHosts.optional(), hosts: z.array(hostSchema).min(1, 'list at least one host') })
  .superRefine((fleet, ctx) => {
    const seen = new Map<string, string>();
    fleet.hosts.forEach((h, i) => {
      const at = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: ['hosts', i, field], message });
      const first = fleet.hosts.findIndex((o) => o.name === h.name);
      if (first < i) at('name', `"${h.name}" is also hosts[${first}]: each host is listed once`);
      const key = addressKey(h.address, h.port ?? fleet.port);
      const same = seen.get(key);
      if (same !== undefined) at('address', `same address and port as ${same}: each host is listed once`);
      else seen.set(key, h.name);
      if (!h.knownHosts && !fleet.knownHosts) at('knownHosts', 'required: the colour sets no knownHosts for its hosts');
    });
  });

const addressKey = (address: string, port: number) => `${address.toLowerCase()}#${port}`;

/** A colour: the fleet form when it lists `hosts`, else the single-host form, each with its own fields' messages. */
const colourSchema = byForm<SshColourTarget | z.output<typeof fleetSchema>>((v) =>
  v && typeof v === 'object' && 'hosts' in v ? fleetSchema : sshColourTargetSchema,
);

/** One region's SSH targets, `regions.<r>.deploy` in the worker config (kind "ssh"). */
export const sshDeployConfigSchema = z.strictObject({ blue: colourSchema, green: colourSchema }).superRefine((cfg, ctx) => {
  // A host is in one colour: the other colour's deploy would replace the release taking traffic.
  const blue = hostsOf(cfg, 'blue');
  hostsOf(cfg, 'green').forEach((h, i) => {
    const at = (field: string, message: string) => ctx.addIssue({ code: 'custom', path: ['green', 'hosts', i, field], message });
    const byName = blue.find((b) => b.name === h.name);
    if (byName) at('name', `"${h.name}" is also a blue host: a host belongs to one colour`);
    const key = 'literal' in h.address ? addressKey(h.address.literal, h.target.port) : undefined;
    const byAddress = blue.find((b) => 'literal' in b.address && addressKey(b.address.literal, b.target.port) === key);
    if (byAddress) at('address', `same address and port as blue host ${byAddress.name}: a host belongs to one colour`);
  });
});
export type SshDeployConfig = z.output<typeof sshDeployConfigSchema>;

/** One host of a colour, its settings resolved (its own, else the colour's). */
export interface SshHost {
  name: string;
  /** A literal address, or the environment variable holding it (looked up per region). */
  address: HostAddress;
  target: SshColourTarget;
  /** A setting's config field below `regions.<r>.deploy`: "green.healthUrl", or "green.hosts[1].healthUrl" when the host sets it. */
  field(setting: keyof SshColourTarget): string;
}

/** The colour's hosts in config order; the single-host form is one host named after the colour. */
export function hostsOf(cfg: SshDeployConfig, colour: Colour): SshHost[] {
  const c = cfg[colour];
  if (!('hosts' in c)) {
    return [{ name: colour, address: { variable: `DROPLET_IP_${colour.toUpperCase()}` }, target: c, field: (s) => `${colour}.${s}` }];
  }
  const { hosts, ...shared } = c;
  return hosts.map(({ name, address, ...own }, i) => {
    const set = Object.fromEntries(Object.entries(own).filter(([, v]) => v !== undefined));
    return {
      name,
      address: hostAddress(address),
      // knownHosts is the host's or the colour's: the schema refuses a host with neither.
      target: { ...shared, ...set } as SshColourTarget,
      field: (s) => (s in set ? `${colour}.hosts[${i}].${s}` : `${colour}.${s}`),
    };
  });
}

/** The environment variables holding the deploy's addresses, each with what it is for: checked when the worker starts. */
export function addressVariables(cfg: SshDeployConfig): { name: string; what: string }[] {
  return (['blue', 'green'] as const).flatMap((colour) =>
    hostsOf(cfg, colour).flatMap((h) => {
      if (!('variable' in h.address)) return [];
      const what = 'hosts' in cfg[colour] ? `the address of ${colour} host ${h.name}` : `the ${colour} droplet to deploy to`;
      return [{ name: h.address.variable, what }];
    }),
  );
}
