// HAProxy: weights change through the runtime API on the admin socket, effective at once, no reload.
// Weights are the percentages themselves (0–100 within HAProxy's 0–256), so blue + green = 100
// and a weight of 0 sends the server no new traffic.
import { createConnection, type NetConnectOpts } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { z } from 'zod';
import type { TrafficWeights } from '../domain/ports.js';
import type { Colour } from '../domain/metrics.js';
import { nonRetryable } from './errors.js';
import { lookupSecret, type Env } from './secrets.js';
import type { TrafficRouter } from './traffic-router.js';
import { describeWeights, toPercentages } from './traffic-weights.js';
import { vendor } from './vendor-choice.js';

export const haproxyTrafficSchema = z.object({
  /** A unix socket path, or host:port of `stats socket ipv4@…`; host `{LB_IP}` is read from env LB_IP by region. */
  adminSocket: z.string().min(1),
  backend: z.string().min(1),
  /** Server names inside the backend (not addresses). */
  servers: z.object({ blue: z.string().min(1), green: z.string().min(1) }),
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

export function createHaproxyRouter(cfg: HaproxyTrafficConfig, env: Env, region: string): TrafficRouter {
  const where = `haproxy backend ${cfg.backend} in ${region}`;
  const call = async (command: string): Promise<string> => {
    const answer = await runtimeCommand(socketOptions(cfg, env, region), command, cfg.timeoutMs);
    if (/No such (backend|server)|Require '|Unknown command|Permission denied|only accepts/i.test(answer)) {
      throw nonRetryable('ConfigurationError', `${where}: "${command}" was refused: ${answer}`);
    }
    return answer;
  };
  const weightOf = async (colour: Colour): Promise<number> => {
    const answer = await call(`get weight ${cfg.backend}/${cfg.servers[colour]}`);
    const m = /^(\d+)/.exec(answer);
    if (!m) throw nonRetryable('ConfigurationError', `${where}: unexpected answer to get weight: ${answer}`);
    return Number(m[1]);
  };
  const read = async (): Promise<TrafficWeights> => toPercentages(await weightOf('blue'), await weightOf('green'));

  return {
    read,
    async set(target, dryRun) {
      const current = await read();
      if (current.blue === target.blue && current.green === target.green) {
        return { changed: false, summary: `${where} already at ${describeWeights(target)}` };
      }
      if (dryRun) {
        return { changed: false, summary: `dry run: would set ${where} to ${describeWeights(target)} (now ${describeWeights(current)})` };
      }
      // Raise the gaining colour first, so the backend never has both servers at 0.
      const order: Colour[] = target.green > current.green ? ['green', 'blue'] : ['blue', 'green'];
      for (const colour of order) {
        const answer = await call(`set server ${cfg.backend}/${cfg.servers[colour]} weight ${target[colour]}`);
        if (answer) throw nonRetryable('ConfigurationError', `${where}: setting ${colour} weight failed: ${answer}`);
      }
      const after = await read();
      if (after.blue !== target.blue || after.green !== target.green) {
        throw ApplicationFailure.create({
          type: 'TrafficNotApplied',
          message: `${where} reads ${describeWeights(after)} after setting ${describeWeights(target)}`,
        });
      }
      return { changed: true, summary: `set ${where} to ${describeWeights(target)} (was ${describeWeights(current)})` };
    },
  };
}

export const haproxyRouter = vendor('haproxy', haproxyTrafficSchema, createHaproxyRouter);
