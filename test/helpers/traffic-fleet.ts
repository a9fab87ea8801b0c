// Fleets behind a real load balancer for the traffic tests: several sample services per colour, each
// its own balancer server (HAProxy `blue-1`…, as lab/daemons.ts names a fleet's servers), and what
// each of them served.
import { execFileSync } from 'node:child_process';
import { expect } from 'vitest';
import { join } from 'node:path';
import { startHaproxy, type HaproxyLab, type NginxLab } from '../../lab/daemons.js';
import type { SampleService } from '../../lab/sample-service.js';
import type { Colour } from '../../domain/metrics.js';
import { Lab, sendRequests, type Split } from './services.js';

export type Fleets = Record<Colour, SampleService[]>;

/** `size` sample services per colour, started side by side. */
async function startFleets(lab: Lab, size: number): Promise<Fleets> {
  const start = (colour: Colour, version: string) => Promise.all(Array.from({ length: size }, () => lab.sample({ colour, version })));
  const [blue, green] = await Promise.all([start('blue', 'v1.0.0'), start('green', 'v1.1.0')]);
  return { blue, green };
}

/** Stops the lab when `start` fails, so a failed setup leaves nothing running. */
async function orStop<T>(lab: Lab, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (err) {
    await lab.stop();
    throw err;
  }
}

/** HAProxy with `size` servers per colour (`blue-1`…, `green-1`…), blue taking all traffic. */
export async function haproxyFleetLab(size = 3) {
  const lab = await Lab.create('haproxy-fleet', ['haproxy']);
  return orStop(lab, async () => {
    const fleets = await startFleets(lab, size);
    const addresses = (c: Colour) => fleets[c].map((s) => s.address);
    const haproxy: HaproxyLab = await startHaproxy(join(lab.dir, 'haproxy'), { blue: addresses('blue'), green: addresses('green') });
    const stop = async () => {
      await haproxy.daemon.stop();
      await lab.stop();
    };
    return { lab, fleets, haproxy, stop };
  });
}

/** NGINX in front of the first service of each colour; the router's first change renders every server. */
export async function nginxFleetLab(size = 3) {
  const lab = await Lab.create('nginx-fleet', ['nginx']);
  return orStop(lab, async () => {
    const fleets = await startFleets(lab, size);
    const nginx: NginxLab = await lab.nginx({ blue: fleets.blue[0]!, green: fleets.green[0]! });
    return { lab, fleets, nginx, stop: () => lab.stop() };
  });
}

/** Each service's requests served so far, in fleet order. */
const servedBy = (fleets: Fleets): Record<Colour, number[]> => ({
  blue: fleets.blue.map((s) => s.served()),
  green: fleets.green.map((s) => s.served()),
});

/** What each service served since `before`. */
function servedSince(fleets: Fleets, before: Record<Colour, number[]>): Record<Colour, number[]> {
  const now = servedBy(fleets);
  return { blue: now.blue.map((n, i) => n - before.blue[i]!), green: now.green.map((n, i) => n - before.green[i]!) };
}

/** The nginx master's worker pids. */
export function nginxWorkerPids(nginx: NginxLab): string[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(nginx.daemon.pid)])
      .toString()
      .trim()
      .split(/\s+/)
      .filter(Boolean);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

/**
 * Runs `change`, which reloads nginx, and waits until the master runs exactly one, new, worker:
 * nginx applies a reload asynchronously.
 */
export async function nginxReloadedBy<T>(nginx: NginxLab, change: () => Promise<T>): Promise<T> {
  const before = nginxWorkerPids(nginx);
  const result = await change();
  await expect
    .poll(
      () => {
        const now = nginxWorkerPids(nginx);
        return now.length === 1 && !before.includes(now[0]!);
      },
      { timeout: 30_000, interval: 100 },
    )
    .toBe(true);
  return result;
}

/**
 * Sends 1,200 requests through the balancer and checks the split: none failed, green took `green` %
 * ± 5 points, each `idle` host (`green-2`) served none, and every other host of a colour an even
 * part of its colour's requests (± 10 %).
 */
export async function expectSpread(url: string, fleets: Fleets, green: number, idle: string[] = []): Promise<Split> {
  const n = 1200;
  const before = servedBy(fleets);
  const split = await sendRequests(url, n);
  expect(split.failed).toBe(0);
  expect(split.green).toBeGreaterThanOrEqual(((green - 5) * n) / 100);
  expect(split.green).toBeLessThanOrEqual(((green + 5) * n) / 100);
  const served = servedSince(fleets, before);
  for (const c of ['blue', 'green'] as const) {
    const busy = served[c].filter((_, i) => !idle.includes(`${c}-${i + 1}`));
    served[c].forEach((count, i) => (idle.includes(`${c}-${i + 1}`) ? expect(count, `${c}-${i + 1}`).toBe(0) : undefined));
    expect(busy.reduce((a, b) => a + b, 0)).toBe(split[c]);
    for (const count of busy) expect(Math.abs(count - split[c] / busy.length)).toBeLessThanOrEqual(split[c] / 10);
  }
  return split;
}

/** Weights by server name (`blue-1`… `green-3`): `out` at 0, every other server of a colour at one weight above 0. */
export function expectEvenWithout(weights: Record<string, number>, out: string[]): void {
  for (const c of ['blue', 'green'] as const) {
    const names = Object.keys(weights).filter((n) => n.startsWith(`${c}-`));
    for (const n of names.filter((x) => out.includes(x))) expect(weights[n], n).toBe(0);
    const rest = names.filter((n) => !out.includes(n)).map((n) => weights[n]!);
    expect(new Set(rest).size, `${c} weights ${rest.join(', ')}`).toBe(1);
    expect(rest[0]).toBeGreaterThan(0);
  }
}
