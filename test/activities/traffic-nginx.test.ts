// Real NGINX in front of two real sample backends: the rendered upstream file, `nginx -t` and a
// reload move real traffic; 0 % is `down`, never the weight=0 nginx rejects.
import { readFile, rename, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionContext, TrafficActivities, TrafficWeights } from '../../domain/ports.js';
import { createTrafficActivities, trafficConfigSchema } from '../../activities/traffic.js';
import { createNginxRouter, nginxTrafficSchema, parseNginxUpstream, type NginxTrafficConfig } from '../../activities/traffic-nginx.js';
import type { NginxLab } from '../../lab/daemons.js';
import type { SampleService } from '../../lab/sample-service.js';
import { balancedLab, sendRequests, type Lab } from '../helpers/services.js';
import { failure } from '../helpers/failure.js';
import { trafficActivities } from '../helpers/vendor-activities.js';
import { nginxReloadedBy, nginxWorkerPids } from '../helpers/traffic-fleet.js';

const ctx: RegionContext = { correlationId: 'rollout-api', service: 'api', region: 'eu-west', dryRun: false };
const dry: RegionContext = { ...ctx, dryRun: true };
// Regional secrets, as the worker's environment holds them.
const env = { DROPLET_IP_BLUE__EU_WEST: '127.0.0.1', DROPLET_IP_GREEN__EU_WEST: '127.0.0.1' };

let lab: Lab;
let green: SampleService;
let nginx: NginxLab;
let cfg: NginxTrafficConfig;
let traffic: TrafficActivities;

beforeAll(async () => {
  const started = await balancedLab('nginx');
  ({
    lab,
    colours: { green },
    balancer: nginx,
  } = started);
  cfg = nginxTrafficSchema.parse({
    configPath: nginx.configPath,
    includePath: nginx.includePath,
    upstream: nginx.upstream,
    servers: { blue: { port: started.colours.blue.port }, green: { port: green.port } },
  });
  traffic = trafficActivities({ 'eu-west': trafficConfigSchema.parse({ kind: 'nginx', ...cfg }) }, env);
});

afterAll(async () => lab?.stop());

const currentWorkers = () => nginxWorkerPids(nginx);

async function setAndWait(weights: TrafficWeights) {
  const report = await nginxReloadedBy(nginx, () => traffic.setTrafficWeights(ctx, weights));
  expect(report.changed).toBe(true);
  return report;
}

describe('NGINX traffic router', () => {
  it('reads the weights from the rendered upstream file', async () => {
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 100, green: 0 });
  });

  it('at 25 % green, 1,000 requests split 25 % ± 5 % green and the weights read back', async () => {
    const report = await setAndWait({ blue: 75, green: 25 });
    expect(report.summary).toMatch(/blue 75% \/ green 25%/);
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 75, green: 25 });
    const file = await readFile(nginx.includePath, 'utf8');
    expect(file).toMatch(/weight=75; # meridian:blue/);
    expect(file).toMatch(/weight=25; # meridian:green/);

    const split = await sendRequests(nginx.url, 1000);
    expect(split.failed).toBe(0);
    expect(split.blue + split.green).toBe(1000);
    expect(split.green).toBeGreaterThanOrEqual(200);
    expect(split.green).toBeLessThanOrEqual(300);
  });

  it('at 0 % green, green is marked down (not weight=0) and none of 1,000 requests reach it', async () => {
    await setAndWait({ blue: 100, green: 0 });
    const file = await readFile(nginx.includePath, 'utf8');
    expect(file).toMatch(/server 127\.0\.0\.1:\d+ down; # meridian:green/);
    expect(file).not.toMatch(/weight=0/);
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 100, green: 0 });
    const servedBefore = green.served();
    expect(await sendRequests(nginx.url, 1000)).toEqual({ blue: 1000, green: 0, failed: 0 });
    expect(green.served()).toBe(servedBefore);
  });

  it('at 100 % green, all of 1,000 requests reach green', async () => {
    await setAndWait({ blue: 0, green: 100 });
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 0, green: 100 });
    expect(await sendRequests(nginx.url, 1000)).toEqual({ blue: 0, green: 1000, failed: 0 });
  });

  it('a dry run reports the change and leaves the file and nginx alone', async () => {
    await setAndWait({ blue: 90, green: 10 });
    const before = await readFile(nginx.includePath, 'utf8');
    const mtime = (await stat(nginx.includePath)).mtimeMs;
    const workers = currentWorkers();
    const report = await traffic.setTrafficWeights(dry, { blue: 50, green: 50 });
    expect(report.changed).toBe(false);
    expect(report.summary).toMatch(/would set .*blue 50% \/ green 50%.*now blue 90% \/ green 10%/);
    expect(await readFile(nginx.includePath, 'utf8')).toBe(before);
    expect((await stat(nginx.includePath)).mtimeMs).toBe(mtime);
    expect(currentWorkers()).toEqual(workers); // no reload
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 90, green: 10 });
  });

  it('setting the weights it already has neither rewrites nor reloads', async () => {
    const mtime = (await stat(nginx.includePath)).mtimeMs;
    const report = await traffic.setTrafficWeights(ctx, { blue: 90, green: 10 });
    expect(report).toMatchObject({ changed: false, summary: expect.stringMatching(/already at blue 90%/) });
    expect((await stat(nginx.includePath)).mtimeMs).toBe(mtime);
  });

  it('a config nginx -t rejects is put back, and the error hides the backend address', async () => {
    const before = await readFile(nginx.includePath, 'utf8');
    const router = createNginxRouter(cfg, { ...env, DROPLET_IP_GREEN__EU_WEST: 'fe80::zz' }, 'eu-west');
    const err = await failure(router.set({ blue: 50, green: 50 }, false));
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toMatch(/nginx -t rejected/);
    expect(err.message).toContain('<DROPLET_IP_GREEN>');
    expect(err.message).not.toContain('fe80::zz');
    expect(await readFile(nginx.includePath, 'utf8')).toBe(before);
    // nginx still serves the old weights.
    const split = await sendRequests(nginx.url, 100);
    expect(split.failed).toBe(0);
  });

  it('a failed reload is retryable and restores the file', async () => {
    const before = await readFile(nginx.includePath, 'utf8');
    const router = createNginxRouter({ ...cfg, reloadCommand: ['false'] }, env, 'eu-west');
    const err = await failure(router.set({ blue: 40, green: 60 }, false));
    expect(err).toMatchObject({ type: 'LoadBalancerUnavailable', nonRetryable: false });
    expect(await readFile(nginx.includePath, 'utf8')).toBe(before);
  });

  it('a missing backend address names the env var without a value', async () => {
    const router = createNginxRouter(cfg, { DROPLET_IP_BLUE: '127.0.0.1' }, 'eu-west');
    const err = await failure(createTrafficActivities(() => router).setTrafficWeights(ctx, { blue: 50, green: 50 }));
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toMatch(/DROPLET_IP_GREEN is not set for region eu-west/);
  });

  it('an include file without Meridian-managed servers cannot be read as weights', async () => {
    const moved = `${nginx.includePath}.aside`;
    await rename(nginx.includePath, moved);
    try {
      const err = await failure(traffic.readTrafficWeights(ctx));
      expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    } finally {
      await rename(moved, nginx.includePath);
    }
    expect(parseNginxUpstream('upstream x {\n  server 10.0.0.1:80;\n}\n')).toBeUndefined();
  });

  it('the schema names the field it rejects', () => {
    const res = nginxTrafficSchema.safeParse({
      configPath: '/x',
      includePath: '/y',
      upstream: 'bad name',
      servers: { blue: { port: 80 }, green: { port: 0 } },
    });
    expect(res.success).toBe(false);
    const paths = res.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['upstream', 'servers.green.port']));
  });
});
