// Real HAProxy in front of three real sample services per colour, each its own server: a colour's share
// is spread evenly over its in-service servers, a host out of service gets weight 0, and the weights
// read back as the colour-level share that was set.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionContext, TrafficActivities } from '../../domain/ports.js';
import type { Colour } from '../../domain/metrics.js';
import { trafficConfigSchema } from '../../activities/traffic.js';
import { createHaproxyRouter, haproxyTrafficSchema } from '../../activities/traffic-haproxy.js';
import { haproxyWeight, startHaproxy, type HaproxyLab } from '../../lab/daemons.js';
import { Lab, sendRequests } from '../helpers/services.js';
import { failure } from '../helpers/failure.js';
import { trafficActivities } from '../helpers/vendor-activities.js';
import { expectEvenWithout, expectSpread, haproxyFleetLab, type Fleets } from '../helpers/traffic-fleet.js';

const ctx: RegionContext = { correlationId: 'rollout-api', service: 'api', region: 'us-east', dryRun: false };

let stop: (() => Promise<void>) | undefined;
let fleets: Fleets;
let haproxy: HaproxyLab;
let traffic: TrafficActivities;
const names: Record<Colour, string[]> = { blue: ['blue-1', 'blue-2', 'blue-3'], green: ['green-1', 'green-2', 'green-3'] };

beforeAll(async () => {
  ({ fleets, haproxy, stop } = await haproxyFleetLab(3));
  expect(haproxy.servers).toEqual(names);
  const cfg = trafficConfigSchema.parse({ kind: 'haproxy', adminSocket: haproxy.adminSocket, backend: haproxy.backend, servers: names });
  traffic = trafficActivities({ 'us-east': cfg }, {});
});

afterAll(async () => stop?.());

/** Every server's weight as HAProxy's `get weight` reports it. */
const weights = async (colour: Colour) => Promise.all(names[colour].map((s) => haproxyWeight(haproxy, s)));
const weightsByName = async () => {
  const all = [...names.blue, ...names.green];
  return Object.fromEntries(await Promise.all(all.map(async (s) => [s, await haproxyWeight(haproxy, s)] as const)));
};

describe('HAProxy traffic router over fleets of three servers per colour', () => {
  it('reads the colour-level share from all six servers', async () => {
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 100, green: 0 });
  });

  it('at 25 % green, each colour’s servers share one weight, the read-back is 25/75 and 1,200 requests split so', async () => {
    const report = await traffic.setTrafficWeights(ctx, { blue: 75, green: 25 });
    expect(report).toMatchObject({ changed: true, summary: expect.stringMatching(/blue 75% \/ green 25%/) });
    expect(await weights('blue')).toEqual([75, 75, 75]);
    expect(await weights('green')).toEqual([25, 25, 25]);
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 75, green: 25 });

    await expectSpread(haproxy.url, fleets, 25);
  });

  it('with green-2 out of service it reads weight 0, green-1 and green-3 carry the 25 %, and green-2 serves nothing', async () => {
    const report = await traffic.setTrafficWeights(ctx, { blue: 75, green: 25 }, ['green-2']);
    expect(report).toMatchObject({ changed: true, summary: expect.stringMatching(/green 25%, out of service: green-2/) });
    expect(await haproxyWeight(haproxy, 'green-2')).toBe(0);
    expectEvenWithout(await weightsByName(), ['green-2']);
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 75, green: 25 });

    await expectSpread(haproxy.url, fleets, 25, ['green-2']);
  });

  it('the same weights and hosts out of service again change nothing', async () => {
    const again = await traffic.setTrafficWeights(ctx, { blue: 75, green: 25 }, ['green-2']);
    expect(again).toMatchObject({ changed: false, summary: expect.stringMatching(/already at blue 75%/) });
  });

  it('a dry run names the hosts it would take out and changes no weight', async () => {
    const before = await weightsByName();
    const report = await traffic.setTrafficWeights({ ...ctx, dryRun: true }, { blue: 50, green: 50 }, ['green-1', 'green-2']);
    expect(report.changed).toBe(false);
    expect(report.summary).toMatch(/would set .*blue 50% \/ green 50%, out of service: green-1, green-2 \(now blue 75% \/ green 25%\)/);
    expect(await weightsByName()).toEqual(before);
  });

  it('rollback to blue 100 % puts every blue server above 0 and every green one at 0', async () => {
    await traffic.setTrafficWeights(ctx, { blue: 0, green: 100 }, ['green-2']);
    expect(await weights('blue')).toEqual([0, 0, 0]);
    const report = await traffic.setTrafficWeights(ctx, { blue: 100, green: 0 }, ['green-2']);
    expect(report.changed).toBe(true);
    expect((await weights('blue')).every((w) => w > 0)).toBe(true);
    expect(await weights('green')).toEqual([0, 0, 0]);
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 100, green: 0 });
    expect(await sendRequests(haproxy.url, 300)).toEqual({ blue: 300, green: 0, failed: 0 });
  });

  it('a host out of service that the config does not list is a ConfigurationError naming it, and no weight moves', async () => {
    const err = await failure(traffic.setTrafficWeights(ctx, { blue: 50, green: 50 }, ['green-9']));
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toMatch(/green-9/);
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 100, green: 0 });
  });

  it('unequal fleets in service (3 blue, 1 green) still read back exactly what was set', async () => {
    for (const green of [1, 10, 25, 50, 90, 99]) {
      await traffic.setTrafficWeights(ctx, { blue: 100 - green, green }, ['green-1', 'green-3']);
      expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 100 - green, green });
      expect(await haproxyWeight(haproxy, 'green-2')).toBeGreaterThan(0);
    }
  });

  it('the schema takes a list per colour and refuses a name listed twice, at its path', () => {
    const at = (servers: unknown) => {
      const res = haproxyTrafficSchema.safeParse({ adminSocket: '/x', backend: 'api', servers });
      return res.success ? [] : res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(at({ blue: 'blue', green: ['green-1', 'green-2'] })).toEqual([]);
    expect(at({ blue: ['a', 'b'], green: ['c', 'a'] })).toEqual([expect.stringMatching(/^servers\.green\.1: "a" is also blue\.0/)]);
    expect(at({ blue: 'a', green: ['a'] })).toEqual([expect.stringMatching(/^servers\.green\.0: "a" is also blue/)]);
    expect(at({ blue: [], green: 'g' })).toEqual([expect.stringMatching(/^servers\.blue: /)]);
    expect(at({ blue: ['ok', 'not ok'], green: 'g' })).toEqual([expect.stringMatching(/^servers\.blue\.1: /)]);
  });
});

describe('HAProxy traffic router over fleets of 200 servers per colour', () => {
  let big: { haproxy: HaproxyLab; stop: () => Promise<void> } | undefined;
  afterAll(async () => big?.stop());

  it('sets and reads back every share on a real backend of 400 servers, a few out of service, in batched commands', async () => {
    const lab = await Lab.create('haproxy-200', ['haproxy']);
    // No service behind them: the weights are what is under test (HAProxy keeps them for servers marked down).
    const nowhere = Array.from({ length: 200 }, () => '127.0.0.1:9');
    const h = await startHaproxy(join(lab.dir, 'haproxy'), { blue: nowhere, green: nowhere }).catch(async (err: unknown) => {
      await lab.stop();
      throw err;
    });
    big = { haproxy: h, stop: () => h.daemon.stop().then(() => lab.stop()) };
    const servers = h.servers as Record<Colour, string[]>;
    expect(servers.green).toHaveLength(200);
    const router = createHaproxyRouter(
      haproxyTrafficSchema.parse({ adminSocket: h.adminSocket, backend: h.backend, servers }),
      {},
      'us-east',
    );
    const out = ['green-7', 'green-100', 'green-200'];
    for (const green of [1, 25, 50, 99, 0]) {
      await router.set({ blue: 100 - green, green }, false, out);
      expect(await router.read()).toEqual({ blue: 100 - green, green });
      for (const s of out) expect(await haproxyWeight(h, s)).toBe(0);
    }
    expect(await haproxyWeight(h, 'blue-200')).toBeGreaterThan(0);
    expect(await haproxyWeight(h, 'green-1')).toBe(0);
  });
});

describe('HAProxy traffic router: the order of weight changes', () => {
  /** A runtime API stand-in that records each batch of commands and what the backend held after it. */
  async function fakeHaproxy(dir: string, start: Record<string, number>) {
    const weights = new Map(Object.entries(start));
    const totals: number[] = [];
    const commands: string[] = [];
    const server = createServer((sock) =>
      sock.once('data', (chunk) => {
        const answers = chunk
          .toString()
          .trim()
          .split(/;\s*/)
          .map((cmd) => {
            if (cmd.startsWith('show servers state')) {
              const rows = [...weights].map(([name, w], i) => `3 api ${i + 1} ${name} 10.0.0.${i + 1} 2 0 ${w} 100`);
              return ['1', '# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight srv_iweight', ...rows].join(
                '\n',
              );
            }
            const m = /^set server api\/(\S+) weight (\d+)$/.exec(cmd);
            if (!m) return `Unknown command: ${cmd}`;
            commands.push(cmd);
            weights.set(m[1]!, Number(m[2]));
            return '';
          });
        if (!chunk.toString().startsWith('show')) totals.push([...weights.values()].reduce((a, b) => a + b, 0));
        sock.end(answers.join(''));
      }),
    );
    const path = join(dir, 'fake-admin.sock');
    await new Promise<void>((resolve) => server.listen(path, resolve));
    return { path, totals, commands, close: () => new Promise((r) => server.close(r)) };
  }

  it('raises the gaining servers before lowering the others, so the backend never has every server at 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meridian-haproxy-order-'));
    const start = Object.fromEntries([...names.blue.map((n) => [n, 100]), ...names.green.map((n) => [n, 0])]);
    const fake = await fakeHaproxy(dir, start);
    try {
      const router = createHaproxyRouter(
        haproxyTrafficSchema.parse({ adminSocket: fake.path, backend: 'api', servers: names }),
        {},
        'us-east',
      );
      await router.set({ blue: 0, green: 100 }, false, ['green-3']);
      expect(fake.commands).toEqual([
        'set server api/green-1 weight 100',
        'set server api/green-2 weight 100',
        'set server api/blue-1 weight 0',
        'set server api/blue-2 weight 0',
        'set server api/blue-3 weight 0',
      ]);
      expect(fake.totals.every((t) => t > 0)).toBe(true);
      expect(await router.read()).toEqual({ blue: 0, green: 100 });
    } finally {
      await fake.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
