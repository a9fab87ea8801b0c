// Real HAProxy, NGINX, Prometheus and Pushgateway for tests, on free loopback ports with config in a
// temp dir; a Lab stops everything it started (whole process groups) and removes the dir.
import { mkdtemp, rm } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDebianPackages, type DebianPackage } from '../../lab/debian.js';
import {
  startHaproxy,
  startNginx,
  startPrometheus,
  startPushgateway,
  type HaproxyLab,
  type NginxLab,
  type ScrapeTarget,
} from '../../lab/daemons.js';
import { backendsOf, startColours, startSampleService, type SampleService, type SampleServiceOptions } from '../../lab/sample-service.js';
import type { Colour } from '../../domain/metrics.js';

export class Lab {
  private stops: (() => Promise<void>)[] = [];
  private constructor(readonly dir: string) {}

  static async create(name: string, packages: DebianPackage[] = []): Promise<Lab> {
    ensureDebianPackages(packages);
    return new Lab(await mkdtemp(join(tmpdir(), `meridian-${name}-`)));
  }

  private track<T extends { stop(): Promise<void> } | { daemon: { stop(): Promise<void> } }>(x: T): T {
    this.stops.push(() => ('daemon' in x ? x.daemon.stop() : x.stop()));
    return x;
  }

  sample(opts: SampleServiceOptions) {
    return startSampleService(opts).then((s) => this.track(s));
  }
  /** A blue and a green sample service, started side by side. */
  async colours(versions: Record<Colour, string>): Promise<Record<Colour, SampleService>> {
    const services = await startColours(versions);
    this.track(services.blue);
    this.track(services.green);
    return services;
  }
  haproxy(services: Record<Colour, SampleService>, weights?: Record<Colour, number>) {
    return startHaproxy(join(this.dir, 'haproxy'), backendsOf(services), weights).then((x) => this.track(x));
  }
  nginx(services: Record<Colour, SampleService>, weights?: Record<Colour, number>) {
    return startNginx(join(this.dir, 'nginx'), backendsOf(services), weights).then((x) => this.track(x));
  }
  prometheus(targets: ScrapeTarget[]) {
    return startPrometheus(join(this.dir, 'prometheus'), targets).then((x) => this.track(x));
  }
  pushgateway() {
    return startPushgateway().then((x) => this.track(x));
  }

  async stop(): Promise<void> {
    await Promise.allSettled(this.stops.reverse().map((s) => s()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

interface Balancers {
  haproxy: HaproxyLab;
  nginx: NginxLab;
}

/** A Lab with blue and green behind the kind's load balancer, blue taking all traffic: a region before a rollout. */
export async function balancedLab<K extends keyof Balancers>(
  kind: K,
  versions: Record<Colour, string> = { blue: 'v1.0.0', green: 'v1.1.0' },
) {
  const lab = await Lab.create(kind, [kind]);
  try {
    const colours = await lab.colours(versions);
    const balancer = (await (kind === 'haproxy' ? lab.haproxy(colours) : lab.nginx(colours))) as Balancers[K];
    return { lab, colours, balancer };
  } catch (err) {
    await lab.stop();
    throw err;
  }
}

export interface Split {
  blue: number;
  green: number;
  /** Responses that were not 200. */
  failed: number;
}

function once(url: string): Promise<{ status: number; colour?: string }> {
  return new Promise((resolve, reject) => {
    // A fresh connection per request: each one is balanced on its own, even across an nginx reload.
    const req = get(url, { agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, colour: res.headers['x-colour'] as string | undefined }));
    });
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
  });
}

/** Sends n GET requests (concurrency at a time) and counts which colour answered. */
export async function sendRequests(url: string, n: number, concurrency = 10): Promise<Split> {
  const split: Split = { blue: 0, green: 0, failed: 0 };
  let next = 0;
  const lane = async () => {
    while (next < n) {
      next += 1;
      const { status, colour } = await once(url);
      if (status !== 200) split.failed += 1;
      if (colour === 'blue' || colour === 'green') split[colour] += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
  return split;
}

/** Polls until check() returns true (for hooks, where expect.poll is not allowed). */
export async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 60_000, intervalMs = 250): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
