// Real HAProxy (health checks, its built-in Prometheus exporter) in front of blue and a green sample
// service in a process of its own, under steady load, scraped by real Prometheus: killing green's
// process shows in the balancer's own counters within a bound derived from the check and scrape
// intervals, while the application's counters, gone with the process, show nothing.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { balancerMetricsSchema, readBalancerServers, type BalancerMetricsConfig } from '../../activities/metrics-balancer-haproxy.js';
import { hostCountsBetween, type ServerCounters } from '../../domain/counters.js';
import { HAPROXY_CHECK, startHaproxy, startPrometheus, type HaproxyLab, type PrometheusLab } from '../../lab/daemons.js';
import { startLoad, type Load, type RegionLoad } from '../../lab/load.js';
import { freePort, httpOk, startDaemon, type Daemon } from '../../lab/processes.js';
import { failure } from '../helpers/failure.js';
import { REGION as LAB_REGION, startLabUnderLoad } from '../helpers/lab-under-load.js';
import { Lab, waitUntil } from '../helpers/services.js';

const TSX = fileURLToPath(new URL('../../node_modules/.bin/tsx', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const REGION = 'us-east';
/** 240 requests a minute through the balancer, half of them to green. */
const RATE_PER_SECOND = 4;
const GREEN_SHARE = 0.5;
const SCRAPE_MS = 1_000;
/** A late scrape or a busy machine: never more than this on top of what HAProxy and Prometheus take. */
const MARGIN_MS = 1_000;
// HAProxy's defaults the lab keeps: a refused request is retried 3 times, min(timeout connect, 1 s) apart, then answered 503.
const RETRIES = 3;
const TURNAROUND_MS = 1_000;
/** The first check after the kill comes within one interval; `fall` failed checks mark the server DOWN. */
const DOWN_BOUND_MS = HAPROXY_CHECK.fall * HAPROXY_CHECK.interMs + 2 * SCRAPE_MS + MARGIN_MS;
/** The next request for green comes within 1/(rate × share) s and fails after its retries. */
const ERRORS_BOUND_MS = 1_000 / (RATE_PER_SECOND * GREEN_SHARE) + RETRIES * TURNAROUND_MS + 2 * SCRAPE_MS + MARGIN_MS;

let lab: Lab;
let green: Daemon;
let haproxy: HaproxyLab;
let prometheus: PrometheusLab;
let load: Load;
let traffic: RegionLoad;
let cfg: BalancerMetricsConfig;
let greenPort: number;

/** The green service's injected error rate, set at runtime (the sample service's lab control). */
async function setGreenErrors(errorRatePct: number): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${greenPort}/fault`, { method: 'PUT', body: JSON.stringify({ errorRatePct }) });
  expect(res.status).toBe(200);
}

const target = () => ({ prometheusUrl: prometheus.url, timeoutMs: 5_000 });
const read = (colour: 'blue' | 'green', c: BalancerMetricsConfig = cfg) => readBalancerServers(target(), c, REGION, colour);
const id = (server: string) => `${server}@${haproxy.metricsAddress}`;

async function promValue(query: string): Promise<number | undefined> {
  const res = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`);
  const body = (await res.json()) as { data: { result: { value: [number, string] }[] } };
  const v = body.data.result[0]?.value[1];
  return v === undefined ? undefined : Number(v);
}

beforeAll(async () => {
  lab = await Lab.create('balancer-metrics', ['haproxy', 'prometheus']);
  const blue = await lab.sample({ colour: 'blue', version: 'v1.0.0' });
  // Green in a process of its own, so it can die the way an instance does.
  const port = (greenPort = await freePort());
  green = await startDaemon({
    name: 'green sample service',
    command: TSX,
    args: ['lab/sample-service.ts', '--port', String(port), '--colour', 'green', '--version', 'v1.1.0'],
    cwd: ROOT,
    port,
    ready: () => httpOk(`http://127.0.0.1:${port}/health`),
  });
  haproxy = await startHaproxy(join(lab.dir, 'haproxy'), { blue: blue.address, green: `127.0.0.1:${port}` }, { blue: 50, green: 50 });
  prometheus = await startPrometheus(join(lab.dir, 'prometheus'), [
    { address: blue.address, labels: { region: REGION } },
    { address: `127.0.0.1:${port}`, labels: { region: REGION } },
    { address: haproxy.metricsAddress, labels: { region: REGION }, job: 'haproxy' },
  ]);
  // The lab's own balancer section, as lab/lab.ts writes it for the worker.
  cfg = balancerMetricsSchema.parse({
    backend: haproxy.backend,
    servers: { blue: { pattern: 'blue(-.+)?' }, green: { pattern: 'green(-.+)?' } },
  });
  const loads = startLoad({ [REGION]: haproxy.url }, { ratePerSecond: RATE_PER_SECOND });
  load = loads;
  traffic = loads.stats[REGION]!;
  // Both servers have taken requests, and Prometheus has scraped the balancer since.
  await waitUntil('Prometheus to scrape traffic on both servers', async () => {
    const q = (s: string) => promValue(`haproxy_server_sessions_total{region="${REGION}",proxy="${haproxy.backend}",server="${s}"}`);
    return ((await q('blue')) ?? 0) >= 4 && ((await q('green')) ?? 0) >= 4;
  });
}, 120_000);

afterAll(async () => {
  await load?.stop();
  await Promise.allSettled([green?.stop(), haproxy?.daemon.stop(), prometheus?.daemon.stop()]);
  await lab?.stop();
});

/** Polls `reading` until `ok` holds for it, and says how long that took from `since`. */
async function timeUntil(
  since: number,
  ok: (servers: Record<string, ServerCounters>) => boolean,
  boundMs: number,
  reading = () => read('green'),
): Promise<number> {
  let at = 0;
  await waitUntil(
    `green's servers to read as failing within ${boundMs} ms`,
    async () => {
      if (!ok(await reading())) return false;
      at = Date.now() - since;
      return true;
    },
    boundMs + 5_000,
    100,
  );
  return at;
}

describe('HAProxy balancer metrics reader', () => {
  it('reads both colours up with no balancer failures while both serve', async () => {
    expect(traffic.blue).toBeGreaterThan(0);
    expect(traffic.green).toBeGreaterThan(0);
    expect(traffic.errors).toBe(0);
    const clean = { responses: expect.any(Number), serverErrors: 0, errors: 0, down: false };
    expect(await read('blue')).toEqual({ [id('blue')]: clean });
    expect(await read('green')).toEqual({ [id('green')]: clean });
    expect((await read('green'))[id('green')]!.responses).toBeGreaterThan(0);
  });

  it("reads each server's responses and its own 5xx: green failing 1 request in 5 counts so, per host, blue none", async () => {
    const before = { instances: {}, servers: { ...(await read('green')), ...(await read('blue')) } };
    await setGreenErrors(20);
    try {
      let now = before;
      await waitUntil('30 more green responses in a scrape', async () => {
        now = { instances: {}, servers: { ...(await read('green')), ...(await read('blue')) } };
        return (hostCountsBetween(before, now).green?.requests ?? 0) >= 30;
      });
      const hosts = hostCountsBetween(before, now);
      // The service fails exactly 1 in 5 from the fault on; a request or two in flight when it was set may not.
      expect(Math.abs(hosts.green!.errors - hosts.green!.requests / 5)).toBeLessThanOrEqual(2);
      expect(hosts.blue).toMatchObject({ errors: 0 });
      expect(hosts.blue!.requests).toBeGreaterThan(0);
      // The balancer failed none of them: its own counter stays 0.
      expect((await read('green'))[id('green')]).toMatchObject({ errors: 0, down: false });
    } finally {
      await setGreenErrors(0);
    }
  });

  it('a list of server names selects the same server as the pattern', async () => {
    const named = balancerMetricsSchema.parse({ backend: haproxy.backend, servers: { blue: ['blue'], green: ['green', 'green-2'] } });
    expect(Object.keys(await read('green', named))).toEqual([id('green')]);
  });

  it('no matching server, or no such backend, is MetricsUnavailable naming the selector', async () => {
    const none = balancerMetricsSchema.parse({ backend: haproxy.backend, servers: { blue: ['blue'], green: { pattern: 'emerald.*' } } });
    const e1 = await failure(read('green', none));
    expect(e1).toMatchObject({ type: 'MetricsUnavailable', nonRetryable: false });
    expect(e1.message).toContain('server=~"emerald.*"');
    const e2 = await failure(read('blue', { ...cfg, backend: 'payments' }));
    expect(e2.message).toContain('proxy="payments"');
  });

  const killedGreen =
    `green's process killed at ${RATE_PER_SECOND * 60} rpm: its server reads down within ${DOWN_BOUND_MS} ms ` +
    `and its failed requests within ${ERRORS_BOUND_MS} ms; blue stays clean`;
  it(killedGreen, async () => {
    expect(Math.max(DOWN_BOUND_MS, ERRORS_BOUND_MS)).toBeLessThanOrEqual(10_000);
    const killedAt = Date.now();
    process.kill(-green.pid, 'SIGKILL');
    const [downMs, errorsMs] = await Promise.all([
      timeUntil(killedAt, (s) => s[id('green')]?.down === true, DOWN_BOUND_MS),
      timeUntil(killedAt, (s) => (s[id('green')]?.errors ?? 0) > 0, ERRORS_BOUND_MS),
    ]);
    console.info(`green killed: read down after ${downMs} ms, failed requests after ${errorsMs} ms`);
    expect(downMs).toBeLessThanOrEqual(DOWN_BOUND_MS);
    expect(errorsMs).toBeLessThanOrEqual(ERRORS_BOUND_MS);
    // Every failure the balancer counted was one a client got (live, ahead of the scrape).
    const failed = (await read('green'))[id('green')]!.errors;
    expect(traffic.errors).toBeGreaterThanOrEqual(failed);
    expect(await read('blue')).toMatchObject({ [id('blue')]: { errors: 0, serverErrors: 0, down: false } });
  });
});

describe("the lab's balancer section", () => {
  it("reads each colour of the lab's region from its worker config, and a stopped green as down", async () => {
    const under = await startLabUnderLoad('balancer-lab');
    try {
      const metrics = (under.lab.config.regions as Record<string, { metrics: { prometheusUrl: string; balancer: unknown } }>)[LAB_REGION]!
        .metrics;
      const section = balancerMetricsSchema.parse(metrics.balancer);
      const labRead = (colour: 'blue' | 'green') =>
        readBalancerServers({ prometheusUrl: metrics.prometheusUrl, timeoutMs: 5_000 }, section, LAB_REGION, colour);
      const at = (server: string) => `${server}@${under.region.haproxy.metricsAddress}`;
      // Blue takes the load, green none yet: both up, no failures.
      await waitUntil('the lab to serve load through blue', async () => under.load.blue > 0);
      await waitUntil("the lab's Prometheus to scrape its HAProxy", async () => Object.keys(await labRead('green')).length > 0, 30_000);
      const clean = { responses: expect.any(Number), serverErrors: 0, errors: 0, down: false };
      expect(await labRead('blue')).toEqual({ [at('blue')]: clean });
      expect(await labRead('green')).toEqual({ [at('green')]: clean });
      // The lab's services share this process: closing green refuses HAProxy's checks as a dead process would.
      const stoppedAt = Date.now();
      await under.region.services.green.stop();
      expect(
        await timeUntil(
          stoppedAt,
          (s) => s[at('green')]?.down === true,
          DOWN_BOUND_MS,
          () => labRead('green'),
        ),
      ).toBeLessThanOrEqual(DOWN_BOUND_MS);
      expect(await labRead('blue')).toMatchObject({ [at('blue')]: { errors: 0, down: false } });
    } finally {
      await under.stop();
    }
  });
});
