// HAProxy: weights change through the runtime API on the admin socket, effective at once, no reload.
// A colour is one server or a fleet of them in the same backend; its share of the traffic is spread
// over its in-service servers as equal weights (0–256; the percentages themselves when both colours
// have as many), its out-of-service servers and a colour at 0 % get weight 0: no new traffic.
import { createConnection, type NetConnectOpts } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { TrafficWeights } from '../domain/ports.js';
import { nonRetryable } from './errors.js';
import { lookupSecret, type Env } from './secrets.js';
import type { TrafficRouter } from './traffic-router.js';
import { colourPercentages, COLOURS, describeWeights, sameServerWeights, uniqueServerNames, weightChange } from './traffic-weights.js';
import type { ColourServers, ServerWeight } from './traffic-weights.js';
import { byForm, vendor } from './vendor-choice.js';

/** HAProxy's own rule for proxy and server names; it also keeps a name from ending a runtime API command. */
const haproxyName = z.string().regex(/^[A-Za-z0-9_.:-]+$/, 'a HAProxy name (letters, digits, "_ . : -")');
/** A colour's server, or its fleet's servers, one per host: the names deploy reports hosts by. */
const serverList = z.array(haproxyName).min(1, 'list at least one server');
const colourServers = byForm<string | string[]>((v) => (Array.isArray(v) ? serverList : haproxyName));

/** Each colour's server names, the single form as a list of one. */
const serverNames = (servers: Record<'blue' | 'green', string | string[]>): ColourServers => ({
  blue: [servers.blue].flat(),
  green: [servers.green].flat(),
});

export const haproxyTrafficSchema = z.object({
  /** A unix socket path, or host:port of `stats socket ipv4@…`; host `{LB_IP}` is read from env LB_IP by region. */
  adminSocket: z.string().min(1),
  backend: haproxyName,
  /** Server names inside the backend (not addresses): one per colour, or a list per colour (a fleet, one per host). */
  servers: z.object({ blue: colourServers, green: colourServers }).superRefine(
    uniqueServerNames((servers, c) => {
      const v = servers[c];
      return typeof v === 'string' ? [{ name: v, path: [c] }] : v.map((name, i) => ({ name, path: [c, i] }));
    }),
  ),
  timeoutMs: z.number().int().positive().default(5_000),
});
export type HaproxyTrafficConfig = z.infer<typeof haproxyTrafficSchema>;

const LB_IP_PLACEHOLDER = '{LB_IP}';

function socketOptions(cfg: HaproxyTrafficConfig, env: Env, region: string): NetConnectOpts {
  if (cfg.adminSocket.startsWith('/')) return { path: cfg.adminSocket };
  const m = /^(.+):(\d+)$/.exec(cfg.adminSocket);
  if (!m) throw nonRetryable('ConfigurationError', 'traffic.adminSocket must be a unix socket path or host:port');
  let host = m[1]!;
  if (host === LB_IP_PLACEHOLDER) {
    const ip = lookupSecret(env, 'LB_IP', region);
    if (!ip) throw nonRetryable('ConfigurationError', `LB_IP is not set for region ${region}`);
    host = ip;
  }
  return { host, port: Number(m[2]) };
}

/** Sends one runtime API command and returns HAProxy's answer (it closes the connection after it). */
function runtimeCommand(opts: NetConnectOpts, command: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(opts);
    let answer = '';
    sock.setTimeout(timeoutMs, () => sock.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    sock.on('connect', () => sock.write(`${command}\n`)); // HAProxy answers one command, then closes
    sock.on('data', (chunk) => (answer += chunk.toString()));
    sock.on('close', (hadError) => (hadError ? undefined : resolve(answer.trim())));
    sock.on('error', (err: NodeJS.ErrnoException) =>
      // The address can be a secret (LB_IP): name only the failure.
      reject(
        ApplicationFailure.create({
          type: 'LoadBalancerUnavailable',
          message: `HAProxy admin socket unreachable (${err.code ?? 'error'})`,
        }),
      ),
    );
  });
}

/** Runtime API commands per connection (`;`-separated, one line within HAProxy's buffer). */
const COMMANDS_PER_LINE = 40;

export function createHaproxyRouter(cfg: HaproxyTrafficConfig, env: Env, region: string): TrafficRouter {
  const where = `haproxy backend ${cfg.backend} in ${region}`;
  const names = serverNames(cfg.servers);
  const call = async (command: string): Promise<string> => {
    const answer = await runtimeCommand(socketOptions(cfg, env, region), command, cfg.timeoutMs);
    if (/No such (backend|server)|Can't find backend|Require '|Unknown command|Permission denied|only accepts/i.test(answer)) {
      throw nonRetryable('ConfigurationError', `${where}: "${command.slice(0, 200)}" was refused: ${answer.slice(0, 500)}`);
    }
    return answer;
  };

  /** Every configured server's weight, in config order, from one `show servers state`. */
  const readServers = async (): Promise<ServerWeight[]> => {
    const answer = await call(`show servers state ${cfg.backend}`);
    const lines = answer.split('\n').map((l) => l.trim());
    const header =
      lines
        .find((l) => l.startsWith('#'))
        ?.replace(/^#\s*/, '')
        .split(/\s+/) ?? [];
    const nameAt = header.indexOf('srv_name');
    const weightAt = header.indexOf('srv_uweight');
    // The answer holds server addresses (possibly secret): never quote it.
    if (nameAt < 0 || weightAt < 0) throw nonRetryable('ConfigurationError', `${where}: unexpected answer to show servers state`);
    const weights = new Map<string, number>();
    for (const fields of lines.filter((l) => l && !l.startsWith('#')).map((l) => l.split(/\s+/))) {
      if (fields.length > Math.max(nameAt, weightAt)) weights.set(fields[nameAt]!, Number(fields[weightAt]));
    }
    return COLOURS.flatMap((colour) =>
      names[colour].map((name) => {
        const weight = weights.get(name);
        if (weight === undefined || !Number.isInteger(weight)) {
          throw nonRetryable('ConfigurationError', `${where}: No such server ${name} (the ${colour} server the config names)`);
        }
        return { colour, name, weight };
      }),
    );
  };
  const read = async (): Promise<TrafficWeights> => colourPercentages(await readServers());

  /** Sets these servers' weights, several commands per connection. */
  const setWeights = async (servers: readonly ServerWeight[]): Promise<void> => {
    for (let i = 0; i < servers.length; i += COMMANDS_PER_LINE) {
      const batch = servers.slice(i, i + COMMANDS_PER_LINE);
      const answer = await call(batch.map((s) => `set server ${cfg.backend}/${s.name} weight ${s.weight}`).join('; '));
      if (answer) {
        const which = batch.map((s) => s.name).join(', ');
        throw nonRetryable('ConfigurationError', `${where}: setting the weights of ${which} failed: ${answer.slice(0, 500)}`);
      }
    }
  };

  return {
    servers: names,
    read,
    async set(target, dryRun, outOfService = []) {
      const change = weightChange(where, target, names, outOfService);
      const now = await readServers();
      const was = colourPercentages(now);
      if (sameServerWeights(now, change.plan)) return change.unchanged;
      if (dryRun) return change.dryRun(was);
      // Raise first, then lower: every server keeps the larger of its old and new weight in between,
      // so the backend never has all its servers at 0.
      const before = new Map(now.map((s) => [s.name, s.weight]));
      await setWeights(change.plan.filter((s) => s.weight > before.get(s.name)!));
      await setWeights(change.plan.filter((s) => s.weight < before.get(s.name)!));
      const after = await readServers();
      if (!sameServerWeights(after, change.plan)) {
        throw ApplicationFailure.create({
          type: 'TrafficNotApplied',
          message: `${where} reads ${describeWeights(colourPercentages(after))} after setting ${change.goal}`,
        });
      }
      return change.done(was);
    },
  };
}

export const haproxyRouter = vendor('haproxy', haproxyTrafficSchema, createHaproxyRouter);
