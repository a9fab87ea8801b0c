// Real NGINX in front of three real sample services per colour: the rendered upstream file lists every
// host, spreads a colour's share evenly over its in-service hosts, marks the out-of-service ones `down`,
// and a reload moves real traffic accordingly.
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionContext, TrafficActivities, TrafficWeights } from '../../domain/ports.js';
import { trafficConfigSchema } from '../../activities/traffic.js';
import { createNginxRouter, nginxTrafficSchema, parseNginxUpstream, type NginxTrafficConfig } from '../../activities/traffic-nginx.js';
import type { NginxLab } from '../../lab/daemons.js';
import { sendRequests } from '../helpers/services.js';
import { failure } from '../helpers/failure.js';
import { trafficActivities } from '../helpers/vendor-activities.js';
import { expectEvenWithout, expectSpread, nginxFleetLab, nginxReloadedBy, nginxWorkerPids, type Fleets } from '../helpers/traffic-fleet.js';

const ctx: RegionContext = { correlationId: 'rollout-api', service: 'api', region: 'eu-west', dryRun: false };
// green-3's address is a secret of its own; the others are on the colour's droplet IP or literal.
const env = { DROPLET_IP_BLUE__EU_WEST: '127.0.0.1', DROPLET_IP_GREEN__EU_WEST: '127.0.0.1', GREEN_3_IP: '127.0.0.1' };

let stop: (() => Promise<void>) | undefined;
let fleets: Fleets;
let nginx: NginxLab;
let cfg: NginxTrafficConfig;
let traffic: TrafficActivities;

beforeAll(async () => {
  ({ fleets, nginx, stop } = await nginxFleetLab(3));
  const addresses = [undefined, '127.0.0.1', 'env:GREEN_3_IP'];
  const hosts = (c: 'blue' | 'green') =>
    fleets[c].map((s, i) => ({ name: `${c}-${i + 1}`, port: s.port, ...(c === 'green' && addresses[i] ? { address: addresses[i] } : {}) }));
  cfg = nginxTrafficSchema.parse({
    configPath: nginx.configPath,
    includePath: nginx.includePath,
    upstream: nginx.upstream,
    servers: { blue: hosts('blue'), green: hosts('green') },
  });
  traffic = trafficActivities({ 'eu-west': trafficConfigSchema.parse({ kind: 'nginx', ...cfg }) }, env);
});

afterAll(async () => stop?.());

/** Each rendered server's weight by host (`down` as 0). */
async function rendered(): Promise<Record<string, number>> {
  const servers = parseNginxUpstream(await readFile(nginx.includePath, 'utf8')) ?? [];
  return Object.fromEntries(servers.map((s) => [s.name, s.weight]));
}

/** Sets the weights and waits until nginx runs them. */
async function setAndServe(weights: TrafficWeights, outOfService: string[] = []) {
  const report = await nginxReloadedBy(nginx, () => traffic.setTrafficWeights(ctx, weights, outOfService));
  expect(report.changed).toBe(true);
  return report;
}

describe('NGINX traffic router over fleets of three hosts per colour', () => {
  it('at 25 % green, the file lists all six hosts, each colour at one weight, and 1,200 requests split so', async () => {
    const report = await setAndServe({ blue: 75, green: 25 });
    expect(report.summary).toMatch(/blue 75% \/ green 25%/);
    expect(await rendered()).toEqual({ 'blue-1': 75, 'blue-2': 75, 'blue-3': 75, 'green-1': 25, 'green-2': 25, 'green-3': 25 });
    const file = await readFile(nginx.includePath, 'utf8');
    expect(file).toMatch(new RegExp(`server 127\\.0\\.0\\.1:${fleets.green[2]!.port} weight=25; # meridian:green host=green-3`));
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 75, green: 25 });

    await expectSpread(nginx.url, fleets, 25);
  });

  it('with green-2 out of service it is marked down, green-1 and green-3 carry the 25 %, and green-2 serves nothing', async () => {
    const report = await setAndServe({ blue: 75, green: 25 }, ['green-2']);
    expect(report.summary).toMatch(/out of service: green-2/);
    const file = await readFile(nginx.includePath, 'utf8');
    expect(file).toMatch(/down; # meridian:green host=green-2/);
    expect(file).not.toMatch(/weight=0/);
    expectEvenWithout(await rendered(), ['green-2']);
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 75, green: 25 });

    await expectSpread(nginx.url, fleets, 25, ['green-2']);
  });

  it('the same weights and hosts again neither rewrite nor reload', async () => {
    const { mtimeMs } = await stat(nginx.includePath);
    const workers = nginxWorkerPids(nginx);
    expect(await traffic.setTrafficWeights(ctx, { blue: 75, green: 25 }, ['green-2'])).toMatchObject({
      changed: false,
      summary: expect.stringMatching(/already at blue 75% \/ green 25%, out of service: green-2/),
    });
    expect((await stat(nginx.includePath)).mtimeMs).toBe(mtimeMs);
    expect(nginxWorkerPids(nginx)).toEqual(workers);
  });

  it('rollback to blue 100 % puts every blue host back and marks every green one down', async () => {
    await setAndServe({ blue: 100, green: 0 }, ['green-2']);
    const w = await rendered();
    expect([w['blue-1'], w['blue-2'], w['blue-3']].every((x) => x! > 0)).toBe(true);
    expect([w['green-1'], w['green-2'], w['green-3']]).toEqual([0, 0, 0]);
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 100, green: 0 });
    expect(await sendRequests(nginx.url, 300)).toEqual({ blue: 300, green: 0, failed: 0 });
  });

  it('a host out of service that the config does not list is a ConfigurationError naming it, the file untouched', async () => {
    const before = await readFile(nginx.includePath, 'utf8');
    const err = await failure(traffic.setTrafficWeights(ctx, { blue: 50, green: 50 }, ['green-7']));
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toMatch(/green-7/);
    expect(await readFile(nginx.includePath, 'utf8')).toBe(before);
  });

  it("a host's missing address variable is named without a value, and no message holds a secret address", async () => {
    const router = createNginxRouter(cfg, { ...env, GREEN_3_IP: undefined }, 'eu-west');
    const err = await failure(router.set({ blue: 50, green: 50 }, false));
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toMatch(/GREEN_3_IP is not set for region eu-west/);

    const bad = createNginxRouter(cfg, { ...env, GREEN_3_IP: 'fe80::zz' }, 'eu-west');
    const rejected = await failure(bad.set({ blue: 50, green: 50 }, false));
    expect(rejected.message).toMatch(/nginx -t rejected/);
    expect(rejected.message).not.toContain('fe80::zz');
  });

  it('the schema takes hosts per colour and refuses a name twice, a bad port or address, at its path', () => {
    const at = (servers: unknown) => {
      const res = nginxTrafficSchema.safeParse({ configPath: '/x', includePath: '/y', upstream: 'u', servers });
      return res.success ? [] : res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(at({ blue: { port: 80 }, green: [{ name: 'green-1', port: 81, address: '10.0.0.2' }] })).toEqual([]);
    expect(
      at({
        blue: [{ name: 'a', port: 80 }],
        green: [
          { name: 'b', port: 81 },
          { name: 'a', port: 82 },
        ],
      }),
    ).toEqual([expect.stringMatching(/^servers\.green\.1\.name: "a" is also blue\.0\.name/)]);
    expect(at({ blue: { port: 80 }, green: [{ name: 'blue', port: 81 }] })).toEqual([expect.stringMatching(/^servers\.green\.0\.name: /)]);
    expect(at({ blue: { port: 80 }, green: [{ name: 'g', port: 0 }] })).toEqual([expect.stringMatching(/^servers\.green\.0\.port: /)]);
    expect(at({ blue: { port: 80 }, green: [{ name: 'g', port: 81, address: 'a b;' }] })).toEqual([
      expect.stringMatching(/^servers\.green\.0\.address: /),
    ]);
    expect(at({ blue: { port: 80 }, green: [] })).toEqual([expect.stringMatching(/^servers\.green: /)]);
  });
});
