// NGINX: weights live in an upstream include file that Meridian owns. A change renders the file
// atomically, checks the whole config with `nginx -t`, then reloads; a rejected config is put back.
// nginx rejects weight=0, so a colour at 0 % is marked `down`.
import { execFile } from 'node:child_process';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { TrafficWeights } from '../domain/ports.js';
import type { Colour } from '../domain/metrics.js';
import { nonRetryable } from './errors.js';
import { lookupSecret, type Env } from './secrets.js';
import type { TrafficRouter } from './traffic-router.js';
import { describeWeights, toPercentages } from './traffic-weights.js';
import { vendor } from './vendor-choice.js';

const port = z.number().int().min(1).max(65_535);

export const nginxTrafficSchema = z.object({
  /** The main nginx.conf, for `nginx -t -c` and `nginx -s reload -c`. */
  configPath: z.string().min(1),
  /** The upstream file Meridian rewrites; nginx.conf includes it inside `http {}`. */
  includePath: z.string().min(1),
  upstream: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'an nginx upstream name'),
  /** Backend ports; addresses come from env DROPLET_IP_BLUE / DROPLET_IP_GREEN by region. */
  servers: z.object({ blue: z.object({ port }), green: z.object({ port }) }),
  nginxBinary: z.string().min(1).default('nginx'),
  /** argv run instead of `nginx -s reload -c <configPath>`, e.g. ["systemctl", "reload", "nginx"]. */
  reloadCommand: z.array(z.string()).min(1).optional(),
  timeoutMs: z.number().int().positive().default(15_000),
});
export type NginxTrafficConfig = z.infer<typeof nginxTrafficSchema>;

const COLOURS: Colour[] = ['blue', 'green'];
const ipSecret = (colour: Colour) => (colour === 'blue' ? 'DROPLET_IP_BLUE' : 'DROPLET_IP_GREEN');

export interface UpstreamServer {
  address: string;
  weight: number;
}

/** The include file's content: one server per colour, tagged so it can be read back. */
export function renderNginxUpstream(upstream: string, servers: Record<Colour, UpstreamServer>): string {
  const lines = COLOURS.map((c) => {
    const { address, weight } = servers[c];
    return `    server ${address} ${weight > 0 ? `weight=${weight}` : 'down'}; # meridian:${c}`;
  });
  return `# Managed by Meridian: rewritten on every traffic change, edits are lost.\nupstream ${upstream} {\n${lines.join('\n')}\n}\n`;
}

/** Raw weights per colour from a rendered include file; `down` reads as 0. */
export function parseNginxUpstream(text: string): Record<Colour, number> | undefined {
  const found: Partial<Record<Colour, number>> = {};
  for (const m of text.matchAll(/^\s*server\s+\S+([^;]*);\s*#\s*meridian:(blue|green)\s*$/gm)) {
    const params = m[1]!;
    const colour = m[2] as Colour;
    found[colour] = /\bdown\b/.test(params) ? 0 : Number(/\bweight=(\d+)/.exec(params)?.[1] ?? 1);
  }
  return found.blue !== undefined && found.green !== undefined ? { blue: found.blue, green: found.green } : undefined;
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
  const addresses = (): Record<Colour, string> => {
    const out = {} as Record<Colour, string>;
    for (const c of COLOURS) {
      const ip = lookupSecret(env, ipSecret(c), region);
      if (!ip) throw nonRetryable('ConfigurationError', `${ipSecret(c)} is not set for region ${region}`);
      out[c] = ip.includes(':') && !ip.startsWith('[') ? `[${ip}]:${cfg.servers[c].port}` : `${ip}:${cfg.servers[c].port}`;
    }
    return out;
  };
  // nginx output can echo the backend addresses: never let them into an error message.
  const redact = (text: string): string => {
    let out = text.slice(0, 2_000);
    for (const c of COLOURS) {
      const ip = lookupSecret(env, ipSecret(c), region);
      if (ip) out = out.split(ip).join(`<${ipSecret(c)}>`);
    }
    return out;
  };

  const read = async (): Promise<TrafficWeights> => {
    const text = await readIfExists(cfg.includePath);
    const raw = text === undefined ? undefined : parseNginxUpstream(text);
    if (!raw) throw nonRetryable('ConfigurationError', `${where}: ${cfg.includePath} holds no Meridian-managed blue and green servers`);
    return toPercentages(raw.blue, raw.green);
  };

  return {
    read,
    async set(target, dryRun) {
      const addr = addresses();
      const previous = await readIfExists(cfg.includePath);
      const parsed = previous === undefined ? undefined : parseNginxUpstream(previous);
      const was = parsed ? describeWeights(toPercentages(parsed.blue, parsed.green)) : 'not rendered yet';
      const next = renderNginxUpstream(cfg.upstream, {
        blue: { address: addr.blue, weight: target.blue },
        green: { address: addr.green, weight: target.green },
      });
      if (previous === next) return { changed: false, summary: `${where} already at ${describeWeights(target)}` };
      if (dryRun) return { changed: false, summary: `dry run: would set ${where} to ${describeWeights(target)} (now ${was})` };

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
      return { changed: true, summary: `set ${where} to ${describeWeights(target)} (was ${was})` };
    },
  };
}

export const nginxRouter = vendor('nginx', nginxTrafficSchema, createNginxRouter);
