// NGINX: weights live in an upstream include file that Meridian owns. A change renders the file
// atomically, checks the whole config with `nginx -t`, then reloads; a rejected config is put back.
// A colour is one server or a fleet of them; its share is spread over its in-service servers as
// equal weights, and since nginx rejects weight=0, a server at 0 (out of service, or its colour at
// 0 %) is marked `down`.
import { execFile } from 'node:child_process';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { TrafficWeights } from '../domain/ports.js';
import type { Colour } from '../domain/metrics.js';
import { nonRetryable } from './errors.js';
import { hostAddress, hostAddressSchema, type HostAddress } from './host-address.js';
import { lookupSecret, type Env } from './secrets.js';
import type { TrafficRouter } from './traffic-router.js';
import { colourPercentages, COLOURS, uniqueServerNames, weightChange, type ServerWeight } from './traffic-weights.js';
import { byForm, vendor } from './vendor-choice.js';

const port = z.number().int().min(1).max(65_535);

/** One host of a fleet: its name (what deploy reports it by) and where nginx reaches it. */
const fleetHost = z.strictObject({
  name: z.string().regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'a host name like "green-1" (a-z, 0-9 and "-")'),
  port,
  /** Absent: the colour's DROPLET_IP_<COLOUR>. */
  address: hostAddressSchema.optional(),
});
type FleetHost = z.output<typeof fleetHost>;

/** A colour: one backend port (the host is DROPLET_IP_<COLOUR>, named after the colour), or a fleet's hosts. */
const hostList = z.array(fleetHost).min(1, 'list at least one host');
const onePort = z.object({ port });
const colourServers = byForm<z.output<typeof onePort> | FleetHost[]>((v) => (Array.isArray(v) ? hostList : onePort));

export const nginxTrafficSchema = z.object({
  /** The main nginx.conf, for `nginx -t -c` and `nginx -s reload -c`. */
  configPath: z.string().min(1),
  /** The upstream file Meridian rewrites; nginx.conf includes it inside `http {}`. */
  includePath: z.string().min(1),
  upstream: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'an nginx upstream name'),
  /** Per colour `{ port }` (address from env DROPLET_IP_BLUE / DROPLET_IP_GREEN by region), or a list of hosts. */
  servers: z.object({ blue: colourServers, green: colourServers }).superRefine(
    uniqueServerNames((servers, c) => {
      const v = servers[c];
      return Array.isArray(v) ? v.map((h: FleetHost, i) => ({ name: h.name, path: [c, i, 'name'] })) : [{ name: c, path: [c] }];
    }),
  ),
  nginxBinary: z.string().min(1).default('nginx'),
  /** argv run instead of `nginx -s reload -c <configPath>`, e.g. ["systemctl", "reload", "nginx"]. */
  reloadCommand: z.array(z.string()).min(1).optional(),
  timeoutMs: z.number().int().positive().default(15_000),
});
export type NginxTrafficConfig = z.infer<typeof nginxTrafficSchema>;

const ipSecret = (colour: Colour) => (colour === 'blue' ? 'DROPLET_IP_BLUE' : 'DROPLET_IP_GREEN');

/** A configured server: its address literal, or the env variable holding it (a secret). */
interface ConfiguredServer {
  colour: Colour;
  name: string;
  port: number;
  address: HostAddress;
}

function configuredServers(cfg: NginxTrafficConfig): ConfiguredServer[] {
  return COLOURS.flatMap((colour): ConfiguredServer[] => {
    const v = cfg.servers[colour];
    const fromEnv = { variable: ipSecret(colour) };
    if (!Array.isArray(v)) return [{ colour, name: colour, port: v.port, address: fromEnv }];
    return v.map((h) => ({ colour, name: h.name, port: h.port, address: h.address === undefined ? fromEnv : hostAddress(h.address) }));
  });
}

export interface UpstreamServer {
  address: string;
  weight: number;
  /** The host's name, when a colour has several; one server alone is named after its colour. */
  name?: string;
}

/** The include file's content: each colour's servers, tagged with colour and host so they can be read back. */
export function renderNginxUpstream(upstream: string, servers: Record<Colour, UpstreamServer | readonly UpstreamServer[]>): string {
  const lines = COLOURS.flatMap((c) =>
    [servers[c]].flat().map(({ address, weight, name }) => {
      const tag = name === undefined || name === c ? `meridian:${c}` : `meridian:${c} host=${name}`;
      return `    server ${address} ${weight > 0 ? `weight=${weight}` : 'down'}; # ${tag}`;
    }),
  );
  return `# Managed by Meridian: rewritten on every traffic change, edits are lost.\nupstream ${upstream} {\n${lines.join('\n')}\n}\n`;
}

/** Each server's weight from a rendered include file (`down` reads as 0); undefined without both colours. */
export function parseNginxUpstream(text: string): ServerWeight[] | undefined {
  const found: ServerWeight[] = [];
  for (const m of text.matchAll(/^\s*server\s+\S+([^;]*);\s*#\s*meridian:(blue|green)(?:\s+host=(\S+))?\s*$/gm)) {
    const params = m[1]!;
    const colour = m[2] as Colour;
    const weight = /\bdown\b/.test(params) ? 0 : Number(/\bweight=(\d+)/.exec(params)?.[1] ?? 1);
    found.push({ colour, name: m[3] ?? colour, weight });
  }
  return COLOURS.every((c) => found.some((s) => s.colour === c)) ? found : undefined;
}

const readIfExists = (path: string) =>
  readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? undefined : Promise.reject(err)));

async function writeAtomically(path: string, content: string | undefined): Promise<void> {
  if (content === undefined) return rm(path, { force: true });
  const tmp = `${path}.meridian-${process.pid}.tmp`;
  await writeFile(tmp, content, { mode: 0o644 });
  await rename(tmp, path); // readers see the old file or the new one, never half of it
}

function run(argv: string[], timeoutMs: number): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(argv[0]!, argv.slice(1), { timeout: timeoutMs }, (err, stdout, stderr) =>
      resolve({ ok: !err, output: `${stdout}${stderr}`.trim() || (err?.message ?? '') }),
    );
  });
}

export function createNginxRouter(cfg: NginxTrafficConfig, env: Env, region: string): TrafficRouter {
  const where = `nginx upstream ${cfg.upstream} in ${region}`;
  const servers = configuredServers(cfg);
  const names = {
    blue: servers.filter((s) => s.colour === 'blue').map((s) => s.name),
    green: servers.filter((s) => s.colour === 'green').map((s) => s.name),
  };
  const variables = [...new Set(servers.flatMap((s) => ('variable' in s.address ? [s.address.variable] : [])))];
  const addressOf = (s: ConfiguredServer): string => {
    const ip = 'literal' in s.address ? s.address.literal : lookupSecret(env, s.address.variable, region);
    if (!ip) throw nonRetryable('ConfigurationError', `${(s.address as { variable: string }).variable} is not set for region ${region}`);
    return ip.includes(':') && !ip.startsWith('[') ? `[${ip}]:${s.port}` : `${ip}:${s.port}`;
  };
  // nginx output can echo the backend addresses: never let the secret ones into an error message.
  const redact = (text: string): string => {
    let out = text.slice(0, 2_000);
    for (const v of variables) {
      const ip = lookupSecret(env, v, region);
      if (ip) out = out.split(ip).join(`<${v}>`);
    }
    return out;
  };

  const read = async (): Promise<TrafficWeights> => {
    const text = await readIfExists(cfg.includePath);
    const parsed = text === undefined ? undefined : parseNginxUpstream(text);
    if (!parsed) throw nonRetryable('ConfigurationError', `${where}: ${cfg.includePath} holds no Meridian-managed blue and green servers`);
    return colourPercentages(parsed);
  };

  return {
    servers: names,
    read,
    async set(target, dryRun, outOfService = []) {
      const change = weightChange(where, target, names, outOfService);
      const weightOf = new Map(change.plan.map((p) => [p.name, p.weight]));
      const upstream = { blue: [] as UpstreamServer[], green: [] as UpstreamServer[] };
      for (const s of servers) upstream[s.colour].push({ address: addressOf(s), weight: weightOf.get(s.name)!, name: s.name });
      const previous = await readIfExists(cfg.includePath);
      const parsed = previous === undefined ? undefined : parseNginxUpstream(previous);
      const was = parsed ? colourPercentages(parsed) : 'not rendered yet';
      const next = renderNginxUpstream(cfg.upstream, upstream);
      if (previous === next) return change.unchanged;
      if (dryRun) return change.dryRun(was);

      await writeAtomically(cfg.includePath, next);
      const test = await run([cfg.nginxBinary, '-e', 'stderr', '-t', '-c', cfg.configPath], cfg.timeoutMs);
      if (!test.ok) {
        await writeAtomically(cfg.includePath, previous);
        throw nonRetryable('ConfigurationError', `${where}: nginx -t rejected the new weights, file restored: ${redact(test.output)}`);
      }
      const reload = await run(cfg.reloadCommand ?? [cfg.nginxBinary, '-e', 'stderr', '-s', 'reload', '-c', cfg.configPath], cfg.timeoutMs);
      if (!reload.ok) {
        // Keep the file in step with what nginx still runs, so a retry starts from the truth.
        await writeAtomically(cfg.includePath, previous);
        throw ApplicationFailure.create({
          type: 'LoadBalancerUnavailable',
          message: `${where}: reload failed, file restored: ${redact(reload.output)}`,
        });
      }
      return change.done(was);
    },
  };
}

export const nginxRouter = vendor('nginx', nginxTrafficSchema, createNginxRouter);
