// Real HAProxy in front of two real sample backends: weights set over the runtime API move real traffic.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RegionContext, TrafficActivities } from '../../domain/ports.js';
import { createTrafficActivities, trafficConfigSchema } from '../../activities/traffic.js';
import { createHaproxyRouter, haproxyTrafficSchema } from '../../activities/traffic-haproxy.js';
import type { HaproxyLab } from '../../lab/daemons.js';
import type { SampleService } from '../../lab/sample-service.js';
import { balancedLab, sendRequests, type Lab } from '../helpers/services.js';
import { failure } from '../helpers/failure.js';
import { trafficActivities } from '../helpers/vendor-activities.js';

const ctx: RegionContext = { correlationId: 'rollout-api', service: 'api', region: 'us-east', dryRun: false };
const dry: RegionContext = { ...ctx, dryRun: true };

let lab: Lab;
let green: SampleService;
let haproxy: HaproxyLab;
let traffic: TrafficActivities;

beforeAll(async () => {
  ({
    lab,
    colours: { green },
    balancer: haproxy,
  } = await balancedLab('haproxy'));
  // Built the way the worker builds it: validated config per region, router chosen by kind.
  const cfg = trafficConfigSchema.parse({
    kind: 'haproxy',
    adminSocket: haproxy.adminSocket,
    backend: haproxy.backend,
    servers: haproxy.servers,
  });
  traffic = trafficActivities({ 'us-east': cfg }, {});
});

afterAll(async () => lab?.stop());

describe('HAProxy traffic router', () => {
  it('reads the weights HAProxy started with as percentages', async () => {
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 100, green: 0 });
  });

  it('at 25 % green, 1,000 requests split 25 % ± 5 % green and the weights read back', async () => {
    const report = await traffic.setTrafficWeights(ctx, { blue: 75, green: 25 });
    expect(report.changed).toBe(true);
    expect(report.summary).toMatch(/blue 75% \/ green 25%/);
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 75, green: 25 });

    const servedBefore = green.served();
    const split = await sendRequests(haproxy.url, 1000);
    expect(split.failed).toBe(0);
    expect(split.blue + split.green).toBe(1000);
    expect(split.green).toBeGreaterThanOrEqual(200);
    expect(split.green).toBeLessThanOrEqual(300);
    // The green backend itself saw those requests.
    expect(green.served() - servedBefore).toBe(split.green);
  });

  it('at 0 % green, none of 1,000 requests reach green', async () => {
    await traffic.setTrafficWeights(ctx, { blue: 100, green: 0 });
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 100, green: 0 });
    const servedBefore = green.served();
    const split = await sendRequests(haproxy.url, 1000);
    expect(split).toEqual({ blue: 1000, green: 0, failed: 0 });
    expect(green.served()).toBe(servedBefore);
  });

  it('at 100 % green, all of 1,000 requests reach green', async () => {
    await traffic.setTrafficWeights(ctx, { blue: 0, green: 100 });
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 0, green: 100 });
    const split = await sendRequests(haproxy.url, 1000);
    expect(split).toEqual({ blue: 0, green: 1000, failed: 0 });
  });

  it('a dry run reports the change and leaves weights and traffic alone', async () => {
    await traffic.setTrafficWeights(ctx, { blue: 90, green: 10 });
    const report = await traffic.setTrafficWeights(dry, { blue: 50, green: 50 });
    expect(report.changed).toBe(false);
    expect(report.summary).toMatch(/would set .*blue 50% \/ green 50%.*now blue 90% \/ green 10%/);
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 90, green: 10 });
  });

  it('setting the weights it already has changes nothing', async () => {
    await traffic.setTrafficWeights(ctx, { blue: 50, green: 50 });
    const again = await traffic.setTrafficWeights(ctx, { blue: 50, green: 50 });
    expect(again).toMatchObject({ changed: false, summary: expect.stringMatching(/already at blue 50%/) });
  });

  it('reaches the runtime API on host:port too, with {LB_IP} read from the environment', async () => {
    const cfg = haproxyTrafficSchema.parse({
      adminSocket: `{LB_IP}:${haproxy.adminPort}`,
      backend: haproxy.backend,
      servers: haproxy.servers,
    });
    const router = createHaproxyRouter(cfg, { LB_IP__US_EAST: '127.0.0.1' }, 'us-east');
    await router.set({ blue: 30, green: 70 }, false);
    expect(await traffic.readTrafficWeights(ctx)).toEqual({ blue: 30, green: 70 });
    expect(await router.read()).toEqual({ blue: 30, green: 70 });
  });

  it('rejects weights that are not whole percentages adding up to 100', async () => {
    const err = await failure(traffic.setTrafficWeights(ctx, { blue: 60, green: 60 }));
    expect(err.type).toBe('InvalidArgument');
    expect(err.nonRetryable).toBe(true);
  });

  it('a region without a router is a configuration error', async () => {
    const err = await failure(traffic.readTrafficWeights({ ...ctx, region: 'mars-north' }));
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
  });

  it('a server name HAProxy does not know is a non-retryable configuration error', async () => {
    const router = createHaproxyRouter(
      haproxyTrafficSchema.parse({
        adminSocket: haproxy.adminSocket,
        backend: haproxy.backend,
        servers: { blue: 'blue', green: 'emerald' },
      }),
      {},
      'us-east',
    );
    const err = await failure(createTrafficActivities(() => router).readTrafficWeights(ctx));
    expect(err).toMatchObject({ type: 'ConfigurationError', nonRetryable: true });
    expect(err.message).toMatch(/No such server/);
  });

  it('an unreachable admin socket is retryable and does not name the secret host', async () => {
    const cfg = haproxyTrafficSchema.parse({ adminSocket: '{LB_IP}:1', backend: 'api', servers: haproxy.servers });
    const router = createHaproxyRouter(cfg, { LB_IP: '127.0.0.1' }, 'us-east');
    const err = await failure(router.read());
    expect(err.type).toBe('LoadBalancerUnavailable');
    expect(err.nonRetryable).toBe(false);
    expect(err.message).not.toContain('127.0.0.1');
  });
});
