// A healthy world for a real worker: the real watch activity over an in-process metrics provider
// that always reads healthy, and every other activity as a stub that answers like a quick vendor
// call (optionally 20–100 ms). For the scale bench and the worker drills, where what is measured
// is the worker and the watch (polls, heartbeats, resume), not a metrics backend or a vendor.
import type { ColourSample } from '../../domain/counters.js';
import type { MeridianActivities } from '../../domain/ports.js';
import type { MetricsProvider } from '../../activities/metrics-provider.js';
import { createWatchActivities } from '../../activities/watch.js';
import { HEALTHY } from './stub-world.js';

/** Requests per second each colour serves: enough by the first poll that even a scaled 0.1-second period is not inconclusive. */
const RATE = 1_000;

const cleanAt = (ms: number): ColourSample => ({ instances: { stub: { requests: Math.floor((RATE * ms) / 1000), errors: 0, slow: 0 } } });

/** Both colours healthy: a fresh reading every time, and clean traffic that grows with time. */
const healthyProvider: MetricsProvider = {
  read: async () => ({ ...HEALTHY, sampledAt: new Date().toISOString() }),
  readWindow: async () => ({ ...HEALTHY, sampledAt: new Date().toISOString() }),
  check: async () => undefined,
  sample: async (_ctx, _colour, _limit, at): Promise<ColourSample> => cleanAt(at.getTime()),
  sampleEvery: async (_ctx, _colour, _limit, from, stepMs, count) =>
    Array.from({ length: count }, (_, k) => cleanAt(from.getTime() + k * stepMs)),
  scrapeIntervalSeconds: 1,
};

/** `[min, max]` ms of latency per stub call; [0, 0] answers at once. */
export type Latency = readonly [number, number];

export function stubVendorActivities(regions: string[], latency: Latency = [0, 0]): MeridianActivities {
  const wait = () => new Promise<void>((r) => setTimeout(r, latency[0] + Math.random() * (latency[1] - latency[0])));
  const changed = async () => (await wait(), { changed: true, summary: 'stub' });
  return {
    deploy: async (req) => ({ ...(await changed()), hosts: [{ host: req.colour, healthy: true }] }),
    readTrafficWeights: async () => (await wait(), { blue: 100, green: 0 }),
    setTrafficWeights: changed,
    pointDnsAt: async () => (await wait(), { changed: true, previous: 'blue' as const, summary: 'stub' }),
    readMetrics: (ctx, colour) => healthyProvider.read(ctx, colour),
    checkMetrics: (ctx, limits) => healthyProvider.check(ctx, limits),
    ...createWatchActivities({ provider: () => healthyProvider, report: wait }),
    pushStageMetrics: wait,
    notify: async () => (await wait(), { delivered: ['stub'] }),
    annotate: wait,
    countSuccessfulDelayedRollouts: async () => 0,
    workerSetup: async () => ({ regions: [...regions] }),
  };
}
